import type { Database } from "../storage/database.js";
import { globalTenant } from "../storage/entities/template-entity.js";
import { templateRepository } from "../storage/template-repository.js";
import type { PodFields } from "../pods/pod-model.js";

interface BuiltinTemplate {
  templateId: string;
  description: string;
  metatags: string[];
  podDefinition: PodFields;
}

/**
 * Templates every tenant can use from the first start, so the quickstart's
 * `{"pod_id": "docpod", "template": "neo4j"}` works on a fresh installation.
 * Credentials come from the pod's generated ones through placeholders.
 */
export const builtinTemplates: BuiltinTemplate[] = [
  {
    templateId: "neo4j",
    description: "Neo4j graph database: browser (http) on the pod URL, Bolt (tcp) on the -bolt URL.",
    metatags: ["neo4j", "database", "graph"],
    podDefinition: {
      image: "neo4j:5.26",
      description: "Neo4j graph database",
      environment_variables: {
        NEO4J_AUTH: "neo4j/<<tapissecret_user_password>>",
        NEO4J_PLUGINS: '["apoc"]',
      },
      networking: {
        default: { protocol: "http", port: 7474 },
        bolt: { protocol: "tcp", port: 7687 },
      },
      resources: { cpu_request: 500, cpu_limit: 2000, mem_request: 1024, mem_limit: 3072 },
    },
  },
  {
    templateId: "postgres",
    description: "PostgreSQL database on the -postgres URL; log in with the pod's credentials.",
    metatags: ["postgres", "database", "sql"],
    podDefinition: {
      image: "postgres:16",
      description: "PostgreSQL database",
      environment_variables: {
        POSTGRES_USER: "<<tapissecret_user_username>>",
        POSTGRES_PASSWORD: "<<tapissecret_user_password>>",
        PGDATA: "/var/lib/postgresql/data/pgdata",
      },
      networking: { postgres: { protocol: "postgres", port: 5432 } },
      resources: { cpu_request: 250, cpu_limit: 2000, mem_request: 512, mem_limit: 2048 },
    },
  },
];

/** The images the built-in templates run. */
export function builtinTemplateImages(): string[] {
  return builtinTemplates.map((t) => t.podDefinition.image!);
}

/** Inserts the built-in templates that are missing; existing ones are left as they are. */
export async function seedBuiltinTemplates(db: Database, siteId: string, now: number): Promise<string[]> {
  const added: string[] = [];
  await db.transaction(async (tx) => {
    for (const builtin of builtinTemplates) {
      if (await templateRepository.find(tx, globalTenant, builtin.templateId)) continue;
      await templateRepository.insertTemplate(tx, {
        tenantId: globalTenant,
        templateId: builtin.templateId,
        siteId,
        description: builtin.description,
        metatags: builtin.metatags,
        archiveMessage: "",
        owner: "",
        creationTs: now,
        updateTs: now,
      });
      await templateRepository.insertTag(tx, {
        tenantId: globalTenant,
        templateId: builtin.templateId,
        tag: "latest",
        tagTimestamp: `latest@${tagTimestamp(now)}`,
        podDefinition: builtin.podDefinition,
        commitMessage: "Built-in template",
        description: builtin.description,
        archiveMessage: "",
        addedBy: "",
        siteId,
        creationTs: now,
      });
      added.push(builtin.templateId);
    }
  });
  return added;
}

/** "2025-01-30-17:14:14": the timestamp form used in "tag@timestamp". */
export function tagTimestamp(epochMillis: number): string {
  return new Date(epochMillis).toISOString().slice(0, 19).replace("T", "-");
}
