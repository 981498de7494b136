import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  TemplateTagPodDefinitionSchema,
  TemplatesService,
} from "../../gen/tapis/pods/v1/templates_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import { NotFoundError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import type { TemplateRow } from "../storage/entities/template-entity.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import { templateRepository } from "../storage/template-repository.js";

/**
 * Reading templates and their tags. Creating and changing templates, tags and
 * their permissions is not offered yet and answers UNIMPLEMENTED.
 */
export function templatesRpc(db: Database): Partial<ServiceImpl<typeof TemplatesService>> {
  const find = async (tenantId: string, templateId: string) => {
    const template = await db.read((m) => templateRepository.findVisible(m, tenantId, templateId));
    if (!template) throw new NotFoundError("template", templateId);
    return template;
  };
  return {
    async listTemplates(_req, ctx) {
      const rows = await db.read((m) => templateRepository.listVisible(m, callerOf(ctx).tenantId));
      return { message: "Templates retrieved successfully.", result: rows.map(templateToProto) };
    },
    async getTemplate(req, ctx) {
      return { message: "Template retrieved successfully.", result: templateToProto(await find(callerOf(ctx).tenantId, req.templateId)) };
    },
    async listTemplateTags(req, ctx) {
      const template = await find(callerOf(ctx).tenantId, req.templateId);
      const tags = await db.read((m) => templateRepository.listTags(m, template));
      const shown = req.full === false ? newestPerTag(tags) : tags;
      return { message: "Template tags retrieved successfully.", result: shown.map((t) => tagToProto(t, req.includeConfigs)) };
    },
    async getTemplateTag(req, ctx) {
      const template = await find(callerOf(ctx).tenantId, req.templateId);
      const tags = await db.read((m) => templateRepository.listTags(m, template));
      const matching = tags.filter((t) => t.tag === req.tagId || t.tagTimestamp === req.tagId);
      if (matching.length === 0) throw new NotFoundError("template tag", `${req.templateId}:${req.tagId}`);
      return { message: "Template tag retrieved successfully.", result: matching.map((t) => tagToProto(t, req.includeConfigs)) };
    },
  };
}

function newestPerTag(tags: TemplateTagRow[]): TemplateTagRow[] {
  const seen = new Set<string>();
  return tags.filter((t) => (seen.has(t.tag) ? false : (seen.add(t.tag), true)));
}

function templateToProto(row: TemplateRow) {
  return {
    templateId: row.templateId,
    description: row.description,
    metatags: row.metatags,
    archiveMessage: row.archiveMessage,
    creationTs: timestampFromMs(row.creationTs),
    updateTs: timestampFromMs(row.updateTs),
    tenantId: row.tenantId,
    siteId: row.siteId,
    permissions: [],
  };
}

function tagToProto(row: TemplateTagRow, includeConfigs: boolean) {
  const definition = { ...row.podDefinition };
  if (!includeConfigs && definition.volume_mounts) {
    definition.volume_mounts = Object.fromEntries(
      Object.entries(definition.volume_mounts).map(([path, mount]) => [
        path,
        mount?.config_content === undefined ? mount : { ...mount, config_content: `<${Buffer.byteLength(mount.config_content)} bytes>` },
      ]),
    );
  }
  return {
    templateId: row.templateId,
    podDefinition: fromJson(TemplateTagPodDefinitionSchema, definition as JsonObject),
    commitMessage: row.commitMessage,
    tag: row.tag,
    description: row.description,
    archiveMessage: row.archiveMessage,
    tagTimestamp: row.tagTimestamp,
    addedBy: row.addedBy,
    tenantId: row.tenantId,
    siteId: row.siteId,
    creationTs: timestampFromMs(row.creationTs),
  };
}
