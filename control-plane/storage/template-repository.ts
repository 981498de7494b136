import type { EntityManager, QueryDeepPartialEntity } from "typeorm";
import { globalTenant, TemplateEntity, type TemplateRow } from "./entities/template-entity.js";
import { TemplateTagEntity, type TemplateTagRow } from "./entities/template-tag-entity.js";

/** Reads and writes of templates and their tag versions. */
export const templateRepository = {
  /** The tenant's template of that id, else the global one. */
  async findVisible(m: EntityManager, tenantId: string, templateId: string): Promise<TemplateRow | null> {
    return (
      (await m.findOne(TemplateEntity, { where: { tenantId, templateId } })) ??
      (await m.findOne(TemplateEntity, { where: { tenantId: globalTenant, templateId } }))
    );
  },

  async listVisible(m: EntityManager, tenantId: string): Promise<TemplateRow[]> {
    const own = await m.find(TemplateEntity, { where: { tenantId }, order: { templateId: "ASC" } });
    const global = await m.find(TemplateEntity, { where: { tenantId: globalTenant }, order: { templateId: "ASC" } });
    const ownIds = new Set(own.map((t) => t.templateId));
    return [...own, ...global.filter((t) => !ownIds.has(t.templateId))];
  },

  /** Newest version of `tag`, or the exact version when `tagTimestamp` is given. */
  async findTag(m: EntityManager, template: TemplateRow, tag: string, tagTimestamp?: string): Promise<TemplateTagRow | null> {
    const where = { tenantId: template.tenantId, templateId: template.templateId };
    if (tagTimestamp) return m.findOne(TemplateTagEntity, { where: { ...where, tagTimestamp } });
    return m.findOne(TemplateTagEntity, { where: { ...where, tag }, order: { creationTs: "DESC", tagTimestamp: "DESC" } });
  },

  async listTags(m: EntityManager, template: TemplateRow): Promise<TemplateTagRow[]> {
    return m.find(TemplateTagEntity, {
      where: { tenantId: template.tenantId, templateId: template.templateId },
      order: { creationTs: "DESC", tagTimestamp: "DESC" },
    });
  },

  async insertTemplate(m: EntityManager, row: TemplateRow): Promise<void> {
    await m.insert(TemplateEntity, row);
  },

  async insertTag(m: EntityManager, row: TemplateTagRow): Promise<void> {
    await m.insert(TemplateTagEntity, row as QueryDeepPartialEntity<TemplateTagRow>);
  },
};
