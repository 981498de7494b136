import { fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  TemplateTagPodDefinitionSchema,
  TemplatesService,
  type TemplateTagPodDefinition,
} from "../../gen/tapis/pods/v1/templates_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import { levelNameOf } from "../authz/level-proto.js";
import type { PermissionService } from "../authz/permission-service.js";
import type { PodFields } from "../pods/pod-model.js";
import { fieldsFromDefinitionJson } from "../pods/pod-proto.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import type { TemplateFields } from "./template-rules.js";
import type { TemplateService, TemplateView } from "./template-service.js";
import type { TagDependents, TemplateTagService } from "./template-tag-service.js";

/** TemplatesService over gRPC/Connect: translates messages and delegates. */
export function templatesRpc(templates: TemplateService, tags: TemplateTagService, permissions: PermissionService): ServiceImpl<typeof TemplatesService> {
  return {
    async listTemplates(_req, ctx) {
      return { message: "Templates retrieved successfully.", result: (await templates.list(callerOf(ctx))).map(templateToProto) };
    },
    async addTemplate(req, ctx) {
      const view = await templates.add(callerOf(ctx), req.templateId, { description: req.description, metatags: req.metatags, archive_message: req.archiveMessage });
      return { message: "Template added successfully.", result: templateToProto(view) };
    },
    async listTemplatesAndTags(req, ctx) {
      const caller = callerOf(ctx);
      const all = await templates.listWithTags(caller, req.full ?? true, req.includeDependencies ? (m, template) => tags.dependentsIn(m, caller, template) : undefined);
      const result = Object.fromEntries(
        all.map(({ view, tags: versions, dependents }) => [view.template.templateId, { template: templateToProto(view), tags: versions.map((t) => tagToProto(t, false, dependents)) }]),
      );
      return { message: "Templates and tags retrieved successfully.", result };
    },
    async getTemplate(req, ctx) {
      return { message: "Template retrieved successfully.", result: templateToProto(await templates.get(callerOf(ctx), req.templateId)) };
    },
    async updateTemplate(req, ctx) {
      const all: Required<TemplateFields> = { description: req.description, metatags: req.metatags, archive_message: req.archiveMessage };
      const given = req.updateMask?.paths.length
        ? req.updateMask.paths.map((path) => path.split(".")[0]!)
        : (Object.keys(all) as (keyof TemplateFields)[]).filter((name) => all[name].length > 0);
      const fields = Object.fromEntries(given.filter((name) => name in all).map((name) => [name, all[name as keyof TemplateFields]])) as TemplateFields;
      const view = await templates.update(callerOf(ctx), req.templateId, fields, given);
      return { message: `Template updated successfully.${archivedNote(view)}`, result: templateToProto(view) };
    },
    async deleteTemplate(req, ctx) {
      await templates.delete(callerOf(ctx), req.templateId);
      return { message: "Template deleted successfully.", result: "" };
    },
    async listTemplateTags(req, ctx) {
      const listed = await tags.listTags(callerOf(ctx), req.templateId, req.full ?? true, req.includeDependencies);
      return { message: "Template tags retrieved successfully.", result: listed.tags.map((t) => tagToProto(t, req.includeConfigs, listed.dependents)) };
    },
    async addTemplateTag(req, ctx) {
      const row = await tags.addTag(callerOf(ctx), req.templateId, {
        tag: req.tag,
        commitMessage: req.commitMessage,
        definition: definitionFromProto(req.podDefinition),
      });
      return { message: "Template tag added successfully.", result: tagToProto(row, true) };
    },
    async getTemplateTag(req, ctx) {
      const listed = await tags.getTag(callerOf(ctx), req.templateId, req.tagId, req.includeDependencies);
      return { message: "Template tag retrieved successfully.", result: listed.tags.map((t) => tagToProto(t, req.includeConfigs, listed.dependents)) };
    },
    async deleteTemplateTag(req, ctx) {
      const newest = await tags.deleteTag(callerOf(ctx), req.templateId, req.tagId);
      return { message: "Template tag deleted successfully.", result: tagToProto(newest, false) };
    },
    async getTemplatePermissions(req, ctx) {
      const list = await permissions.list(callerOf(ctx), "template", req.templateId);
      return { message: "Template permissions retrieved successfully.", result: { permissions: list } };
    },
    async setTemplatePermission(req, ctx) {
      const list = await permissions.set(callerOf(ctx), "template", req.templateId, req.user, levelNameOf(req.level));
      return { message: "Template permission set successfully.", result: { permissions: list } };
    },
    async deleteTemplatePermission(req, ctx) {
      const list = await permissions.remove(callerOf(ctx), "template", req.templateId, req.user);
      return { message: "Template permission removed successfully.", result: { permissions: list } };
    },
  };
}

export function templateToProto(view: TemplateView) {
  const row = view.template;
  return {
    templateId: row.templateId,
    description: row.description,
    metatags: row.metatags,
    archiveMessage: row.archiveMessage,
    creationTs: timestampFromMs(row.creationTs),
    updateTs: timestampFromMs(row.updateTs),
    tenantId: row.tenantId,
    siteId: row.siteId,
    permissions: view.permissions,
  };
}

/** What an update that archived a template adds to its message: who still uses it. */
function archivedNote(view: TemplateView): string {
  if (view.archivedWhileUsedBy === undefined) return "";
  const users = view.archivedWhileUsedBy ? `Still used by ${view.archivedWhileUsedBy}.` : "Nothing uses it now.";
  return ` It is archived: no new pod may use it; pods and templates already using it keep it. ${users}`;
}

/**
 * A tag version; mount file contents show as their size unless
 * `includeConfigs`; its dependents when `dependents` (by tag_timestamp) is given.
 */
export function tagToProto(row: TemplateTagRow, includeConfigs: boolean, dependents?: Map<string, TagDependents>) {
  const definition = { ...row.podDefinition };
  if (definition.volume_mounts) {
    definition.volume_mounts = Object.fromEntries(
      Object.entries(definition.volume_mounts).map(([path, mount]) => [
        path,
        // An empty mount is how the wire says "removes the base template's mount here".
        mount === null ? ({} as never) : includeConfigs || mount.config_content === undefined ? mount : { ...mount, config_content: `<${Buffer.byteLength(mount.config_content)} bytes>` },
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
    ...(dependents ? { dependents: dependentsToProto(dependents.get(row.tagTimestamp)) } : {}),
  };
}

function dependentsToProto(found: TagDependents | undefined) {
  const users = found ?? { pods: [], podCount: 0, tags: [], tagCount: 0 };
  return { dependantPods: users.pods, dependantPodCount: users.podCount, dependantTags: users.tags, dependantTagsCount: users.tagCount };
}

function definitionFromProto(definition: TemplateTagPodDefinition | undefined): PodFields {
  if (!definition) return {};
  return fieldsFromDefinitionJson(toJson(TemplateTagPodDefinitionSchema, definition, { useProtoFieldName: true }) as Record<string, unknown>);
}
