import { In, type EntityManager } from "typeorm";
import { ConflictError } from "../errors/domain-errors.js";
import { PodEntity } from "../storage/entities/pod-entity.js";
import { globalTenant, type TemplateRow } from "../storage/entities/template-entity.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import { templateRepository, type PodRef } from "../storage/template-repository.js";
import { findTemplateFor } from "./template-access.js";
import { parseTemplateRef, type TemplateRef } from "./template-resolver.js";

/** Who uses one tag version: the pods pinned to it and the tag versions of other templates that build on it. */
export interface VersionUsers {
  pods: PodRef[];
  tags: TemplateTagRow[];
}

/**
 * Refuses to delete a template, or some of its tag versions, while pods are
 * pinned to them or other templates build on them: the pods would lose
 * their definition. ConflictError (409) names the users.
 */
export async function refuseIfInUse(m: EntityManager, template: TemplateRow, deleting: TemplateTagRow[] | "all", what: string): Promise<void> {
  const users = await usersOf(m, template, deleting);
  if (users) throw new ConflictError(`${what} is used by ${users}`);
}

/**
 * Who uses the template (`deleting` "all") or the versions `deleting`, in
 * words ("pods: a, b and by templates: c"); null when nobody does. A tag
 * that names a tag of the template counts while no other version of that
 * tag would be left for it to build on.
 */
export async function usersOf(m: EntityManager, template: TemplateRow, deleting: TemplateTagRow[] | "all"): Promise<string | null> {
  const scope = await podScope(m, template);
  const pods = deleting === "all" ? await podsOnTemplate(m, template, scope) : await podsOnVersions(m, template, deleting, scope);
  const remaining = deleting === "all" ? [] : (await templateRepository.listTags(m, template)).filter((t) => !deleting.some((d) => d.tagTimestamp === t.tagTimestamp));
  const dependents = (await tagsOnBase(m, template)).filter(({ ref }) => {
    if (deleting === "all") return true;
    const matches = (t: TemplateTagRow) => (ref.tagTimestamp ? t.tagTimestamp === ref.tagTimestamp : t.tag === ref.tag);
    return deleting.some(matches) && !remaining.some(matches);
  });
  const users: string[] = [];
  const ownPods = pods.filter((p) => p.tenantId === template.tenantId).map((p) => p.podId);
  const otherPods = pods.length - ownPods.length;
  if (ownPods.length > 0 || otherPods > 0) {
    users.push(`pods: ${[...ownPods, ...(otherPods > 0 ? [`${otherPods} of other tenants`] : [])].join(", ")}`);
  }
  const bases = [...new Set(dependents.map(({ tag }) => tag.templateId))];
  if (bases.length > 0) users.push(`templates: ${bases.join(", ")}`);
  return users.length > 0 ? users.join(" and by ") : null;
}

/**
 * Who uses each version of the template now, by tag_timestamp: the pods
 * pinned to it, and the tag versions of other templates whose base
 * reference resolves to it (the exact version, or a tag's newest version).
 */
export async function usersOfVersions(m: EntityManager, template: TemplateRow): Promise<Map<string, VersionUsers>> {
  const versions = await templateRepository.listTags(m, template);
  const users = new Map<string, VersionUsers>(versions.map((v) => [v.tagTimestamp, { pods: [], tags: [] }]));
  for (const pod of await pinnedPods(m, template, versions, await podScope(m, template))) users.get(pod.tagTimestamp)?.pods.push(pod);
  for (const { tag, ref } of await tagsOnBase(m, template)) {
    // Versions are listed newest first: a reference by tag means that tag's newest version.
    const version = ref.tagTimestamp ?? versions.find((v) => v.tag === ref.tag)?.tagTimestamp;
    if (version) users.get(version)?.tags.push(tag);
  }
  return users;
}

/** Pods of other tenants can pin a template only when it is built in or shared beyond its tenant. */
async function podScope(m: EntityManager, template: TemplateRow): Promise<string | null> {
  const everyTenant = template.tenantId === globalTenant || (await templateRepository.sharedBeyondItsTenant(m, template));
  return everyTenant ? null : template.tenantId;
}

/**
 * Tag versions of other templates whose base reference names this template
 * as their own tenant resolves it (a tenant's own template of the same id
 * hides a built-in or shared one), with the reference.
 */
async function tagsOnBase(m: EntityManager, template: TemplateRow): Promise<{ tag: TemplateTagRow; ref: TemplateRef }[]> {
  const scope = await podScope(m, template);
  const resolvesHere = new Map<string, boolean>();
  const out: { tag: TemplateTagRow; ref: TemplateRef }[] = [];
  for (const tag of await templateRepository.tagsNamingBase(m, template.templateId, scope)) {
    if (tag.tenantId === template.tenantId && tag.templateId === template.templateId) continue;
    const ref = tag.podDefinition.template ? parseTemplateRef(tag.podDefinition.template) : null;
    if (!ref || ref.templateId !== template.templateId) continue;
    if (!resolvesHere.has(tag.tenantId)) {
      const found = await findTemplateFor(m, { tenantId: tag.tenantId, username: "", serviceAdmin: false }, template.templateId);
      resolvesHere.set(tag.tenantId, found?.template.tenantId === template.tenantId);
    }
    if (resolvesHere.get(tag.tenantId)) out.push({ tag, ref });
  }
  return out.sort((a, b) => a.tag.tenantId.localeCompare(b.tag.tenantId) || a.tag.templateId.localeCompare(b.tag.templateId) || a.tag.tagTimestamp.localeCompare(b.tag.tagTimestamp));
}

async function podsOnTemplate(m: EntityManager, template: TemplateRow, scope: string | null): Promise<PodRef[]> {
  // Pods pinned before pins named the tenant hold "<template>:<version>".
  return templateRepository.podsPinnedWithPrefix(m, [`${template.tenantId}/${template.templateId}:`, `${template.templateId}:`], scope);
}

async function podsOnVersions(m: EntityManager, template: TemplateRow, versions: TemplateTagRow[], scope: string | null): Promise<PodRef[]> {
  return (await pinnedPods(m, template, versions, scope)).map(({ tenantId, podId }) => ({ tenantId, podId }));
}

/** The pods pinned to `versions`, each with the version, ordered by tenant and pod id. */
async function pinnedPods(m: EntityManager, template: TemplateRow, versions: TemplateTagRow[], scope: string | null): Promise<(PodRef & { tagTimestamp: string })[]> {
  if (versions.length === 0) return [];
  const byPin = new Map<string, string>();
  for (const v of versions) {
    byPin.set(`${template.tenantId}/${template.templateId}:${v.tagTimestamp}`, v.tagTimestamp);
    byPin.set(`${template.templateId}:${v.tagTimestamp}`, v.tagTimestamp);
  }
  const rows = await m.find(PodEntity, {
    where: { templateVersion: In([...byPin.keys()]), ...(scope === null ? {} : { tenantId: scope }) },
    select: { tenantId: true, podId: true, templateVersion: true },
    order: { tenantId: "ASC", podId: "ASC" },
  });
  return rows.map((row) => ({ tenantId: row.tenantId, podId: row.podId, tagTimestamp: byPin.get(row.templateVersion!)! }));
}
