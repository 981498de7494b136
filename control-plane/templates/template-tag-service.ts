import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { limitsFor, type SiteLimits } from "../pods/pod-limits.js";
import type { PodFields } from "../pods/pod-model.js";
import { validatePodFields } from "../pods/pod-rules.js";
import type { Database } from "../storage/database.js";
import { globalTenant, type TemplateRow } from "../storage/entities/template-entity.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import { templateRepository } from "../storage/template-repository.js";
import { tagTimestamp } from "./builtin-templates.js";
import { findTemplateFor } from "./template-access.js";
import { resolveTemplate } from "./template-resolver.js";
import { validateCommitMessage, validateTagName } from "./template-rules.js";
import type { TemplateService } from "./template-service.js";
import { newestPerTag } from "./template-service.js";
import { refuseIfInUse, usersOfVersions } from "./template-usage.js";

/**
 * Who uses one tag version, as its reader may see it: pods and tag versions
 * of the reader's tenant (and built-in tag versions) by name, every tenant's
 * in the counts.
 */
export interface TagDependents {
  pods: string[];
  podCount: number;
  tags: string[];
  tagCount: number;
}

/** Tag versions, with their dependents (by tag_timestamp) when asked for. */
export interface ListedTags {
  tags: TemplateTagRow[];
  dependents?: Map<string, TagDependents>;
}

/** A new tag version: its name (default "latest"), why it was made, and the pod fields it fixes. */
export interface NewTag {
  tag?: string;
  commitMessage: string;
  definition: PodFields;
}

/**
 * Checks a definition beyond its own fields (the image allowlist, secret
 * placeholders): problems are named under `pod_definition.`.
 */
export type DefinitionCheck = (m: EntityManager, tenantId: string, definition: PodFields, problems: ProblemList) => Promise<void>;

export interface TemplateTagServiceDeps {
  db: Database;
  now: () => number;
  siteId: string;
  limits: SiteLimits;
  templates: TemplateService;
  checkDefinition?: DefinitionCheck;
}

/**
 * Tag versions of templates: immutable once added, named "<tag>@<timestamp>",
 * read by "tag" (every version, newest first) or by the exact version.
 */
export class TemplateTagService {
  constructor(private readonly deps: TemplateTagServiceDeps) {}

  /** With `withDependents` (for those who administer the template: access-rules.ts), each version's dependents too. */
  listTags(caller: Caller, templateId: string, full: boolean, withDependents = false): Promise<ListedTags> {
    return this.deps.db.read(async (m) => {
      const found = await this.deps.templates.find(m, caller, templateId);
      const tags = await templateRepository.listTags(m, found.template);
      return { tags: full ? tags : newestPerTag(tags), ...(withDependents ? { dependents: await this.dependentsIn(m, caller, found.template) } : {}) };
    });
  }

  /** Every version of `tagId` ("tag"), or the one version it names ("tag@timestamp"); `withDependents` as for listTags. */
  getTag(caller: Caller, templateId: string, tagId: string, withDependents = false): Promise<ListedTags> {
    return this.deps.db.read(async (m) => {
      const found = await this.deps.templates.find(m, caller, templateId);
      const tags = await this.versionsOf(m, found.template, tagId);
      return { tags, ...(withDependents ? { dependents: await this.dependentsIn(m, caller, found.template) } : {}) };
    });
  }

  /** Who uses each version of `template`, as `caller` may see it (see TagDependents). */
  async dependentsIn(m: EntityManager, caller: Caller, template: TemplateRow): Promise<Map<string, TagDependents>> {
    const named = (tenantId: string) => tenantId === caller.tenantId || tenantId === globalTenant;
    const out = new Map<string, TagDependents>();
    for (const [version, users] of await usersOfVersions(m, template)) {
      out.set(version, {
        pods: users.pods.filter((p) => named(p.tenantId)).map((p) => p.podId),
        podCount: users.pods.length,
        tags: users.tags.filter((t) => named(t.tenantId)).map((t) => `${t.templateId}:${t.tagTimestamp}`),
        tagCount: users.tags.length,
      });
    }
    return out;
  }

  async addTag(caller: Caller, templateId: string, tag: NewTag): Promise<TemplateTagRow> {
    await this.checkNewTag(caller, tag);
    return this.deps.db.transaction(async (tx) => {
      const { template } = await this.deps.templates.find(tx, caller, templateId);
      return this.insertTag(tx, caller, template, tag);
    });
  }

  /**
   * Checks a new tag's name, message and definition, and that its base
   * template (if any) is one the caller may read; throws naming the field.
   */
  async checkNewTag(caller: Caller, tag: NewTag): Promise<void> {
    const problems = new ProblemList();
    if (tag.tag !== undefined) validateTagName(tag.tag, problems);
    validateCommitMessage(tag.commitMessage, problems);
    validatePodFields(tag.definition, limitsFor(this.deps.limits, caller.tenantId), problems.under("pod_definition."));
    if (this.deps.checkDefinition) await this.deps.db.read((m) => this.deps.checkDefinition!(m, caller.tenantId, tag.definition, problems.under("pod_definition.")));
    problems.throwIfAny();
  }

  /** Inserts the version into `template` within `tx`; the base template must resolve without a cycle. */
  async insertTag(tx: EntityManager, caller: Caller, template: TemplateRow, tag: NewTag): Promise<TemplateTagRow> {
    const locked = (await templateRepository.findForUpdate(tx, template.tenantId, template.templateId)) ?? template;
    if (tag.definition.template) await this.checkBase(tx, caller, locked, tag.definition.template);
    const now = this.deps.now();
    const name = tag.tag ?? "latest";
    const row: TemplateTagRow = {
      tenantId: locked.tenantId,
      templateId: locked.templateId,
      tag: name,
      tagTimestamp: await this.freeTimestamp(tx, locked, name, now),
      podDefinition: tag.definition,
      commitMessage: tag.commitMessage,
      description: locked.description,
      archiveMessage: "",
      addedBy: caller.username,
      siteId: this.deps.siteId,
      creationTs: now,
    };
    await templateRepository.insertTag(tx, row);
    return row;
  }

  /** Deletes the versions `tagId` names; refused (409) while pods or other templates use them. Returns the newest deleted. */
  async deleteTag(caller: Caller, templateId: string, tagId: string): Promise<TemplateTagRow> {
    return this.deps.db.transaction(async (tx) => {
      const { template } = await this.deps.templates.find(tx, caller, templateId);
      await templateRepository.findForUpdate(tx, template.tenantId, templateId);
      const versions = await this.versionsOf(tx, template, tagId);
      await refuseIfInUse(tx, template, versions, `template tag '${templateId}:${tagId}'`);
      await templateRepository.deleteTags(tx, template, versions.map((v) => v.tagTimestamp));
      return versions[0]!;
    });
  }

  private async versionsOf(m: EntityManager, template: TemplateRow, tagId: string): Promise<TemplateTagRow[]> {
    const versions = (await templateRepository.listTags(m, template)).filter((t) => t.tag === tagId || t.tagTimestamp === tagId);
    if (versions.length === 0) throw new NotFoundError("template tag", `${template.templateId}:${tagId}`);
    return versions;
  }

  private async checkBase(tx: EntityManager, caller: Caller, template: TemplateRow, base: string): Promise<void> {
    const field = "pod_definition.template";
    if (template.tenantId === caller.tenantId) {
      const found = await findTemplateFor(tx, caller, base.split(":")[0]!);
      if (found && found.level === null) throw new InvalidArgumentError(field, `READ permission on template '${found.template.templateId}' is required; you have no permission`);
    }
    await resolveTemplate(tx, { tenantId: template.tenantId, username: "", serviceAdmin: false }, base, {
      field,
      chain: [{ key: `${template.tenantId}/${template.templateId}`, templateId: template.templateId }],
    });
  }

  /** "<tag>@<second>", or with milliseconds when a version was added in the same second. */
  private async freeTimestamp(tx: EntityManager, template: TemplateRow, tag: string, now: number): Promise<string> {
    const bySecond = `${tag}@${tagTimestamp(now)}`;
    if (!(await templateRepository.tagExists(tx, template, bySecond))) return bySecond;
    const byMillisecond = `${bySecond}.${new Date(now).toISOString().slice(20, 23)}`;
    if (!(await templateRepository.tagExists(tx, template, byMillisecond))) return byMillisecond;
    throw new AlreadyExistsError("template tag", `${template.templateId}:${byMillisecond}`);
  }
}
