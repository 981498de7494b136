import type { EntityManager } from "typeorm";
import { ConflictError } from "../errors/domain-errors.js";
import { PodEntity } from "../storage/entities/pod-entity.js";
import { globalTenant, type TemplateRow } from "../storage/entities/template-entity.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import { templateRepository, type PodRef } from "../storage/template-repository.js";
import { In } from "typeorm";
import { parseTemplateRef } from "./template-resolver.js";

/**
 * Refuses to delete a template, or some of its tag versions, while pods are
 * pinned to them or other templates build on them: the pods would lose
 * their definition. ConflictError (409) names the users.
 */
export async function refuseIfInUse(m: EntityManager, template: TemplateRow, deleting: TemplateTagRow[] | "all", what: string): Promise<void> {
  const everyTenant = template.tenantId === globalTenant || (await templateRepository.sharedBeyondItsTenant(m, template));
  const scope = everyTenant ? null : template.tenantId;
  const pods = deleting === "all" ? await podsOnTemplate(m, template, scope) : await podsOnVersions(m, template, deleting, scope);
  const remaining = deleting === "all" ? [] : (await templateRepository.listTags(m, template)).filter((t) => !deleting.some((d) => d.tagTimestamp === t.tagTimestamp));
  const dependents = (await templateRepository.tagsNamingBase(m, template.templateId, scope)).filter((tag) => {
    if (tag.tenantId === template.tenantId && tag.templateId === template.templateId) return false;
    const ref = tag.podDefinition.template ? parseTemplateRef(tag.podDefinition.template) : null;
    if (!ref || ref.templateId !== template.templateId) return false;
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
  const bases = [...new Set(dependents.map((t) => t.templateId))];
  if (bases.length > 0) users.push(`templates: ${bases.join(", ")}`);
  if (users.length > 0) throw new ConflictError(`${what} is used by ${users.join(" and by ")}`);
}

async function podsOnTemplate(m: EntityManager, template: TemplateRow, scope: string | null): Promise<PodRef[]> {
  // Pods pinned before pins named the tenant hold "<template>:<version>".
  return templateRepository.podsPinnedWithPrefix(m, [`${template.tenantId}/${template.templateId}:`, `${template.templateId}:`], scope);
}

async function podsOnVersions(m: EntityManager, template: TemplateRow, versions: TemplateTagRow[], scope: string | null): Promise<PodRef[]> {
  const pins = versions.flatMap((v) => [`${template.tenantId}/${template.templateId}:${v.tagTimestamp}`, `${template.templateId}:${v.tagTimestamp}`]);
  const rows = await m.find(PodEntity, {
    where: { templateVersion: In(pins), ...(scope === null ? {} : { tenantId: scope }) },
    select: { tenantId: true, podId: true },
    order: { tenantId: "ASC", podId: "ASC" },
  });
  return rows.map((row) => ({ tenantId: row.tenantId, podId: row.podId }));
}
