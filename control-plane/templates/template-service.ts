import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { levelAtLeast } from "../authz/levels.js";
import { AlreadyExistsError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { refuseUnchanged } from "../errors/unchanged.js";
import type { Database } from "../storage/database.js";
import { isDuplicateKeyError } from "../storage/duplicate-key.js";
import { globalTenant, type TemplateRow } from "../storage/entities/template-entity.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { templateRepository } from "../storage/template-repository.js";
import { findTemplateFor, readableTemplates, type TemplateFound } from "./template-access.js";
import { validateTemplateFields, validateTemplateId, type TemplateFields } from "./template-rules.js";
import { refuseIfInUse, usersOf } from "./template-usage.js";

/** A template as its reader sees it: grants shown only to those who may list them (USER). */
export interface TemplateView {
  template: TemplateRow;
  permissions: string[];
  /** After an update that archived it: who still uses it, in words, or null for nobody. */
  archivedWhileUsedBy?: string | null;
}

export interface TemplateServiceDeps {
  db: Database;
  now: () => number;
  siteId: string;
}

const templateFieldNames = ["description", "metatags", "archive_message"] as const;

/**
 * Templates: named, shareable groups of tag versions. Callers are already
 * authorised for the template they name (access-rules.ts); these methods
 * find it as the caller sees it and keep the rules of templates.
 */
export class TemplateService {
  constructor(private readonly deps: TemplateServiceDeps) {}

  list(caller: Caller): Promise<TemplateView[]> {
    return this.deps.db.read(async (m) => Promise.all((await readableTemplates(m, caller)).map((found) => this.view(m, found))));
  }

  get(caller: Caller, templateId: string): Promise<TemplateView> {
    return this.deps.db.read(async (m) => this.view(m, await this.find(m, caller, templateId)));
  }

  /** The caller becomes the new template's ADMIN. Ids of built-in templates are taken. */
  async add(caller: Caller, templateId: string, fields: TemplateFields): Promise<TemplateView> {
    const problems = new ProblemList();
    validateTemplateId(templateId, problems);
    validateTemplateFields(fields, problems);
    problems.throwIfAny();
    const now = this.deps.now();
    try {
      return await this.deps.db.transaction(async (tx) => {
        const row = await this.insertTemplate(tx, caller, templateId, fields, now);
        return { template: row, permissions: await permissionRepository.list(tx, row.tenantId, "template", templateId) };
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AlreadyExistsError("template", templateId);
      throw error;
    }
  }

  /** Inserts a template of the caller's tenant with the caller as ADMIN, inside `tx`. */
  async insertTemplate(tx: EntityManager, caller: Caller, templateId: string, fields: TemplateFields, now: number): Promise<TemplateRow> {
    if ((await templateRepository.find(tx, caller.tenantId, templateId)) || (await templateRepository.find(tx, globalTenant, templateId))) {
      throw new AlreadyExistsError("template", templateId);
    }
    const row: TemplateRow = {
      tenantId: caller.tenantId,
      templateId,
      siteId: this.deps.siteId,
      description: fields.description ?? "",
      metatags: fields.metatags ?? [],
      archiveMessage: fields.archive_message ?? "",
      owner: caller.username,
      creationTs: now,
      updateTs: now,
    };
    await templateRepository.insertTemplate(tx, row);
    await permissionRepository.set(tx, caller.tenantId, "template", templateId, caller.username, "ADMIN");
    return row;
  }

  /** Sets the fields named in `given` (unset ones back to their defaults); refuses a change of nothing. */
  async update(caller: Caller, templateId: string, fields: TemplateFields, given: string[]): Promise<TemplateView> {
    const problems = new ProblemList();
    validateTemplateFields(fields, problems);
    problems.throwIfAny();
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const found = await this.find(tx, caller, templateId);
      const template = (await templateRepository.findForUpdate(tx, found.template.tenantId, templateId)) ?? found.template;
      const next = {
        description: fields.description ?? "",
        metatags: fields.metatags ?? [],
        archive_message: fields.archive_message ?? "",
      };
      const current = { description: template.description, metatags: template.metatags, archive_message: template.archiveMessage };
      const named = templateFieldNames.filter((name) => given.includes(name));
      const changed = named.filter((name) => JSON.stringify(next[name]) !== JSON.stringify(current[name]));
      refuseUnchanged("template", templateId, named, changed);
      const changes: Partial<TemplateRow> = { updateTs: now };
      if (changed.includes("description")) changes.description = next.description;
      if (changed.includes("metatags")) changes.metatags = next.metatags;
      if (changed.includes("archive_message")) changes.archiveMessage = next.archive_message;
      await templateRepository.updateTemplate(tx, template, changes);
      const view = await this.view(tx, { template: { ...template, ...changes }, level: found.level });
      // Archiving refuses new pods only: those already using it keep it, and are named to the archiver.
      if (changes.archiveMessage) view.archivedWhileUsedBy = await usersOf(tx, template, "all");
      return view;
    });
  }

  /** Refused (409) while pods run from it or other templates build on it. */
  async delete(caller: Caller, templateId: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const { template } = await this.find(tx, caller, templateId);
      await templateRepository.findForUpdate(tx, template.tenantId, templateId);
      await refuseIfInUse(tx, template, "all", `template '${templateId}'`);
      await templateRepository.deleteTemplate(tx, template);
    });
  }

  /**
   * Every template the caller may read, each with its tags (every version,
   * or the newest per tag) and, when `dependentsOf` is given, the
   * dependents it finds of the templates the caller administers.
   */
  listWithTags<D>(
    caller: Caller,
    full: boolean,
    dependentsOf?: (m: EntityManager, template: TemplateRow) => Promise<D>,
  ): Promise<{ view: TemplateView; tags: TemplateTagRow[]; dependents?: D }[]> {
    return this.deps.db.read(async (m) => {
      const out: { view: TemplateView; tags: TemplateTagRow[]; dependents?: D }[] = [];
      for (const found of await readableTemplates(m, caller)) {
        const tags = await templateRepository.listTags(m, found.template);
        const dependents = dependentsOf && levelAtLeast(found.level, "ADMIN") ? await dependentsOf(m, found.template) : undefined;
        out.push({ view: await this.view(m, found), tags: full ? tags : newestPerTag(tags), ...(dependents !== undefined ? { dependents } : {}) });
      }
      return out;
    });
  }

  /** The template `templateId` as the caller sees it; NotFoundError when there is none. */
  async find(m: EntityManager, caller: Caller, templateId: string): Promise<TemplateFound> {
    const found = await findTemplateFor(m, caller, templateId);
    if (!found) throw new NotFoundError("template", templateId);
    return found;
  }

  private async view(m: EntityManager, found: TemplateFound): Promise<TemplateView> {
    const { template } = found;
    const showGrants = template.tenantId !== globalTenant && levelAtLeast(found.level, "USER");
    return { template, permissions: showGrants ? await permissionRepository.list(m, template.tenantId, "template", template.templateId) : [] };
  }
}

/** The newest version of each tag, from versions listed newest first. */
export function newestPerTag(tags: TemplateTagRow[]): TemplateTagRow[] {
  const seen = new Set<string>();
  return tags.filter((t) => (seen.has(t.tag) ? false : (seen.add(t.tag), true)));
}
