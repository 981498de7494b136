import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { levelAtLeast } from "../authz/levels.js";
import type { LevelName } from "../storage/entities/permission-entity.js";
import { PermissionEntity } from "../storage/entities/permission-entity.js";
import { globalTenant, type TemplateRow } from "../storage/entities/template-entity.js";
import { siteWideGrantee, templateRepository, tenantWideGrantee } from "../storage/template-repository.js";

/** A template found for a caller and the level the caller holds on it (null: none, yet it exists for them). */
export interface TemplateFound {
  template: TemplateRow;
  level: LevelName | null;
}

/** Who asks for a template: a user of a tenant, or a tenant as a whole (resolving a base template). */
export type TemplateReader = Pick<Caller, "tenantId" | "username" | "serviceAdmin">;

/**
 * Which template an id means to a caller, and what the caller may do with it:
 * - a template of the caller's own tenant comes first; it exists for every
 *   user of the tenant, who holds the level granted to them, to
 *   "tenant.<tenant>" or to "**" (service admins hold ADMIN);
 * - then the built-in (global) template, READ to everyone (ADMIN to service admins);
 * - then a template of another tenant shared with "tenant.<caller's tenant>"
 *   or "**", READ only.
 */
export async function findTemplateFor(m: EntityManager, reader: TemplateReader, templateId: string): Promise<TemplateFound | null> {
  const own = await templateRepository.find(m, reader.tenantId, templateId);
  if (own) return { template: own, level: await levelOn(m, reader, own) };
  const builtIn = await templateRepository.find(m, globalTenant, templateId);
  if (builtIn) return { template: builtIn, level: reader.serviceAdmin ? "ADMIN" : "READ" };
  const [shared] = await templateRepository.sharedWithTenant(m, reader.tenantId, templateId);
  return shared ? { template: shared, level: "READ" } : null;
}

/** Every template the caller may READ, each id once (own before built-in before shared). */
export async function readableTemplates(m: EntityManager, reader: TemplateReader): Promise<TemplateFound[]> {
  const found = new Map<string, TemplateFound>();
  const own = await templateRepository.listOfTenant(m, reader.tenantId);
  for (const template of own) {
    const level = await levelOn(m, reader, template);
    if (level) found.set(template.templateId, { template, level });
  }
  // A template of the tenant hides same-named others even from users who may not read it.
  const owned = new Set(own.map((t) => t.templateId));
  for (const template of await templateRepository.listOfTenant(m, globalTenant)) {
    if (!owned.has(template.templateId)) found.set(template.templateId, { template, level: reader.serviceAdmin ? "ADMIN" : "READ" });
  }
  for (const template of await templateRepository.sharedWithTenant(m, reader.tenantId)) {
    if (!found.has(template.templateId) && !owned.has(template.templateId)) found.set(template.templateId, { template, level: "READ" });
  }
  return [...found.values()].sort((a, b) => a.template.templateId.localeCompare(b.template.templateId));
}

/** True when the caller may at least READ the template. */
export function mayRead(found: TemplateFound | null): found is TemplateFound & { level: LevelName } {
  return found !== null && levelAtLeast(found.level, "READ");
}

async function levelOn(m: EntityManager, reader: TemplateReader, template: TemplateRow): Promise<LevelName | null> {
  if (template.tenantId === globalTenant) return reader.serviceAdmin ? "ADMIN" : "READ";
  if (template.tenantId === reader.tenantId && reader.serviceAdmin) return "ADMIN";
  const grantees = [siteWideGrantee, tenantWideGrantee(reader.tenantId), ...(template.tenantId === reader.tenantId ? [reader.username] : [])];
  const grants = await m.find(PermissionEntity, { where: grantees.map((username) => ({ tenantId: template.tenantId, objectKind: "template" as const, objectId: template.templateId, username })) });
  return highest(grants.map((g) => g.level));
}

function highest(levels: LevelName[]): LevelName | null {
  for (const level of ["ADMIN", "USER", "READ"] as const) if (levels.includes(level)) return level;
  return null;
}
