import { In, Not, type EntityManager, type QueryDeepPartialEntity } from "typeorm";
import { PermissionEntity } from "./entities/permission-entity.js";
import { PodEntity } from "./entities/pod-entity.js";
import { globalTenant, TemplateEntity, type TemplateRow } from "./entities/template-entity.js";
import { TemplateTagEntity, type TemplateTagRow } from "./entities/template-tag-entity.js";
import { PreparedPair, PreparedRead } from "./prepared-reads.js";

const templateByKey = new PreparedRead(TemplateEntity, (q, columns) => `SELECT ${columns} FROM ${q("templates")} WHERE ${q("tenant_id")} = ? AND ${q("template_id")} = ?`);
const tagVersion = new PreparedRead(
  TemplateTagEntity,
  (q, columns) => `SELECT ${columns} FROM ${q("template_tags")} WHERE ${q("tenant_id")} = ? AND ${q("template_id")} = ? AND ${q("tag_timestamp")} = ?`,
);
const templateWithVersion = new PreparedPair(
  TemplateEntity,
  TemplateTagEntity,
  (q, a, b) =>
    `SELECT ${a}, ${b} FROM ${q("templates")} a LEFT JOIN ${q("template_tags")} b ` +
    `ON b.${q("tenant_id")} = a.${q("tenant_id")} AND b.${q("template_id")} = a.${q("template_id")} AND b.${q("tag_timestamp")} = ? ` +
    `WHERE a.${q("tenant_id")} = ? AND a.${q("template_id")} = ?`,
);
const newestOfTag = new PreparedRead(
  TemplateTagEntity,
  (q, columns) =>
    `SELECT ${columns} FROM ${q("template_tags")} WHERE ${q("tenant_id")} = ? AND ${q("template_id")} = ? AND ${q("tag")} = ? ` +
    `ORDER BY ${q("creation_ts")} DESC, ${q("tag_timestamp")} DESC LIMIT 1`,
);

/** The grantees that stand for every user of a tenant ("tenant.<id>") or of every tenant ("**"). */
export const siteWideGrantee = "**";
export const tenantWideGrantee = (tenantId: string) => `tenant.${tenantId}`;

/** A pod that uses a template, as its tenant and id. */
export interface PodRef {
  tenantId: string;
  podId: string;
}

/** Reads and writes of templates and their tag versions. */
export const templateRepository = {
  find(m: EntityManager, tenantId: string, templateId: string): Promise<TemplateRow | null> {
    return templateByKey.one(m, [tenantId, templateId]);
  },

  /** Holds the template's row until commit on MySQL (SQLite runs one writer at a time). */
  findForUpdate(tx: EntityManager, tenantId: string, templateId: string): Promise<TemplateRow | null> {
    if (tx.connection.options.type === "better-sqlite3") return templateRepository.find(tx, tenantId, templateId);
    return tx.findOne(TemplateEntity, { where: { tenantId, templateId }, lock: { mode: "pessimistic_write" } });
  },

  listOfTenant(m: EntityManager, tenantId: string): Promise<TemplateRow[]> {
    return m.find(TemplateEntity, { where: { tenantId }, order: { templateId: "ASC" } });
  },

  listByKeys(m: EntityManager, keys: { tenantId: string; templateId: string }[]): Promise<TemplateRow[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return m.find(TemplateEntity, { where: keys, order: { templateId: "ASC", tenantId: "ASC" } });
  },

  /**
   * Templates of other tenants than `tenantId` (and not global) that are
   * shared with every user of `tenantId` or of every tenant, optionally of
   * one id only.
   */
  async sharedWithTenant(m: EntityManager, tenantId: string, templateId?: string): Promise<TemplateRow[]> {
    const grants = await m.find(PermissionEntity, {
      where: {
        objectKind: "template",
        username: In([siteWideGrantee, tenantWideGrantee(tenantId)]),
        tenantId: Not(In([tenantId, globalTenant])),
        ...(templateId ? { objectId: templateId } : {}),
      },
    });
    return templateRepository.listByKeys(m, grants.map((g) => ({ tenantId: g.tenantId, templateId: g.objectId })));
  },

  /** Whether any other tenant than its own may see the template through a tenant-wide or site-wide grant. */
  async sharedBeyondItsTenant(m: EntityManager, template: TemplateRow): Promise<boolean> {
    const grants = await m.find(PermissionEntity, { where: { tenantId: template.tenantId, objectKind: "template", objectId: template.templateId } });
    return grants.some((g) => g.username === siteWideGrantee || (g.username.startsWith("tenant.") && g.username !== tenantWideGrantee(template.tenantId)));
  },

  /** The template and its exact version `tagTimestamp` (null when it has no such version), read at once. */
  async findWithVersion(m: EntityManager, tenantId: string, templateId: string, tagTimestamp: string): Promise<{ template: TemplateRow; version: TemplateTagRow | null } | null> {
    const found = await templateWithVersion.one(m, [tagTimestamp, tenantId, templateId]);
    return found && { template: found.first, version: found.second };
  },

  /** Newest version of `tag`, or the exact version when `tagTimestamp` is given. */
  async findTag(m: EntityManager, template: TemplateRow, tag: string, tagTimestamp?: string): Promise<TemplateTagRow | null> {
    if (tagTimestamp) return tagVersion.one(m, [template.tenantId, template.templateId, tagTimestamp]);
    return newestOfTag.one(m, [template.tenantId, template.templateId, tag]);
  },

  /** Every version of every tag, newest first. */
  async listTags(m: EntityManager, template: TemplateRow): Promise<TemplateTagRow[]> {
    return m.find(TemplateTagEntity, {
      where: { tenantId: template.tenantId, templateId: template.templateId },
      order: { creationTs: "DESC", tagTimestamp: "DESC" },
    });
  },

  async insertTemplate(m: EntityManager, row: TemplateRow): Promise<void> {
    await m.insert(TemplateEntity, row);
  },

  async updateTemplate(m: EntityManager, template: TemplateRow, changes: Partial<TemplateRow>): Promise<void> {
    await m.update(TemplateEntity, { tenantId: template.tenantId, templateId: template.templateId }, changes as QueryDeepPartialEntity<TemplateRow>);
  },

  /** Removes the template with every tag version and grant. */
  async deleteTemplate(m: EntityManager, template: TemplateRow): Promise<void> {
    const key = { tenantId: template.tenantId, templateId: template.templateId };
    await m.delete(TemplateTagEntity, key);
    await m.delete(PermissionEntity, { tenantId: template.tenantId, objectKind: "template", objectId: template.templateId });
    await m.delete(TemplateEntity, key);
  },

  async insertTag(m: EntityManager, row: TemplateTagRow): Promise<void> {
    await m.insert(TemplateTagEntity, row as QueryDeepPartialEntity<TemplateTagRow>);
  },

  async tagExists(m: EntityManager, template: TemplateRow, tagTimestamp: string): Promise<boolean> {
    return (await m.count(TemplateTagEntity, { where: { tenantId: template.tenantId, templateId: template.templateId, tagTimestamp } })) > 0;
  },

  async deleteTags(m: EntityManager, template: TemplateRow, tagTimestamps: string[]): Promise<void> {
    if (tagTimestamps.length === 0) return;
    await m.delete(TemplateTagEntity, { tenantId: template.tenantId, templateId: template.templateId, tagTimestamp: In(tagTimestamps) });
  },

  /**
   * Pods whose pinned version (template_version) starts with one of
   * `prefixes`, in `tenantId` only or, when null, in every tenant.
   */
  async podsPinnedWithPrefix(m: EntityManager, prefixes: string[], tenantId: string | null): Promise<PodRef[]> {
    if (prefixes.length === 0) return [];
    const qb = m.createQueryBuilder(PodEntity, "p").select(["p.tenantId", "p.podId"]);
    const conditions = prefixes.map((_, i) => `p.template_version LIKE :prefix${i} ESCAPE '!'`).join(" OR ");
    qb.where(`(${conditions})`, Object.fromEntries(prefixes.map((prefix, i) => [`prefix${i}`, `${likeEscaped(prefix)}%`])));
    if (tenantId !== null) qb.andWhere("p.tenant_id = :tenantId", { tenantId });
    const rows = await qb.orderBy("p.tenant_id", "ASC").addOrderBy("p.pod_id", "ASC").getMany();
    return rows.map((row) => ({ tenantId: row.tenantId, podId: row.podId }));
  },

  /** Tag versions whose definition may name `templateId` as its base, in `tenantId` only or, when null, in every tenant. */
  async tagsNamingBase(m: EntityManager, templateId: string, tenantId: string | null): Promise<TemplateTagRow[]> {
    const qb = m.createQueryBuilder(TemplateTagEntity, "t").where("t.pod_definition LIKE :needle ESCAPE '!'", { needle: `%"template":"${likeEscaped(templateId)}%` });
    if (tenantId !== null) qb.andWhere("t.tenant_id = :tenantId", { tenantId });
    return qb.getMany();
  },
};

/** `value` for a LIKE pattern whose escape character is "!". */
function likeEscaped(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}
