import type { Database } from "../storage/database.js";
import { globalTenant } from "../storage/entities/template-entity.js";
import { templateRepository } from "../storage/template-repository.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import type { PodFields } from "../pods/pod-model.js";

interface BuiltinTemplate {
  templateId: string;
  description: string;
  metatags: string[];
  podDefinition: PodFields;
}

/**
 * Starts Neo4j as its image does, then creates (or resets) the user named by
 * the pod's credentials, retrying until the server accepts connections.
 * Credentials are letters, digits, '-' and '_' (pod ids and generated
 * passwords), so they need no quoting inside Cypher.
 */
const neo4jStartup = [
  "/startup/docker-entrypoint.sh neo4j &",
  "for attempt in $(seq 1 150); do",
  '  cypher-shell -a bolt://localhost:7687 -u neo4j -p "${NEO4J_AUTH#neo4j/}" -d system ' +
    '"CREATE OR REPLACE USER `$PODS_NEO4J_USER` SET PLAINTEXT PASSWORD \'$PODS_NEO4J_PASSWORD\' CHANGE NOT REQUIRED" && break',
  "  sleep 2",
  "done",
  "wait",
].join("\n");

/**
 * Templates every tenant can use from the first start, so the quickstart's
 * `{"pod_id": "docpod", "template": "neo4j"}` works on a fresh installation.
 * Credentials come from the pod's generated ones through placeholders.
 */
export const builtinTemplates: BuiltinTemplate[] = [
  {
    templateId: "neo4j",
    description: "Neo4j graph database: browser (http) on the pod URL, Bolt (tcp) on the -bolt URL; log in with the pod's credentials.",
    metatags: ["neo4j", "database", "graph"],
    podDefinition: {
      image: "neo4j:5.26",
      description: "Neo4j graph database",
      // Neo4j's own admin "neo4j" shares the password; the user the pod's credentials name is created once the server answers.
      command: ["/bin/bash", "-c", neo4jStartup],
      environment_variables: {
        NEO4J_AUTH: "neo4j/<<tapissecret_user_password>>",
        PODS_NEO4J_USER: "<<tapissecret_user_username>>",
        PODS_NEO4J_PASSWORD: "<<tapissecret_user_password>>",
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
  {
    templateId: "jupyter",
    description: "JupyterLab on the pod URL, behind Tapis login (tapis_auth) instead of Jupyter's own token.",
    metatags: ["jupyter", "notebook", "python"],
    podDefinition: {
      image: "quay.io/jupyter/base-notebook:2025-01-06",
      description: "JupyterLab",
      arguments: ["start-notebook.py", "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.allow_remote_access=True"],
      networking: { default: { protocol: "http", port: 8888, tapis_auth: true } },
      resources: { cpu_request: 250, cpu_limit: 2000, mem_request: 512, mem_limit: 3072 },
    },
  },
];

/** The images the built-in templates run. */
export function builtinTemplateImages(): string[] {
  return builtinTemplates.map((t) => t.podDefinition.image!);
}

/**
 * Inserts the built-in templates that are missing, and a new "latest"
 * version of those whose definition this version of the service changed;
 * pods keep the version they are pinned to.
 */
export async function seedBuiltinTemplates(db: Database, siteId: string, now: number): Promise<string[]> {
  const added: string[] = [];
  await db.transaction(async (tx) => {
    for (const builtin of builtinTemplates) {
      const existing = await templateRepository.find(tx, globalTenant, builtin.templateId);
      if (existing) {
        const latest = await templateRepository.findTag(tx, existing, "latest");
        if (latest && JSON.stringify(latest.podDefinition) === JSON.stringify(builtin.podDefinition)) continue;
        await templateRepository.updateTemplate(tx, existing, { description: builtin.description, updateTs: now });
        await templateRepository.insertTag(tx, builtinTag(builtin, siteId, now, "Built-in template updated"));
        added.push(`${builtin.templateId} (new version)`);
        continue;
      }
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
      await templateRepository.insertTag(tx, builtinTag(builtin, siteId, now, "Built-in template"));
      added.push(builtin.templateId);
    }
  });
  return added;
}

function builtinTag(builtin: BuiltinTemplate, siteId: string, now: number, commitMessage: string): TemplateTagRow {
  return {
    tenantId: globalTenant,
    templateId: builtin.templateId,
    tag: "latest",
    tagTimestamp: `latest@${tagTimestamp(now)}`,
    podDefinition: builtin.podDefinition,
    commitMessage,
    description: builtin.description,
    archiveMessage: "",
    addedBy: "",
    siteId,
    creationTs: now,
  };
}

/** "2025-01-30-17:14:14": the timestamp form used in "tag@timestamp". */
export function tagTimestamp(epochMillis: number): string {
  return new Date(epochMillis).toISOString().slice(0, 19).replace("T", "-");
}
