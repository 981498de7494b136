import { EntitySchema } from "typeorm";
import type { PodFields } from "../../pods/pod-model.js";
import { epochMillis, jsonText, shortText } from "./column-types.js";

/** One immutable version of a template tag, named "<tag>@<timestamp>". */
export interface TemplateTagRow {
  tenantId: string;
  templateId: string;
  tagTimestamp: string;
  tag: string;
  podDefinition: PodFields;
  commitMessage: string;
  description: string;
  archiveMessage: string;
  addedBy: string;
  siteId: string;
  creationTs: number;
}

export const TemplateTagEntity = new EntitySchema<TemplateTagRow>({
  name: "TemplateTag",
  tableName: "template_tags",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    templateId: { ...shortText(128), primary: true, name: "template_id" },
    tagTimestamp: { ...shortText(160), primary: true, name: "tag_timestamp" },
    tag: shortText(128),
    podDefinition: { ...jsonText(), name: "pod_definition" },
    commitMessage: { ...shortText(2048), name: "commit_message" },
    description: shortText(2048),
    archiveMessage: { ...shortText(2048), name: "archive_message" },
    addedBy: { ...shortText(128), name: "added_by" },
    siteId: { ...shortText(64), name: "site_id" },
    creationTs: { ...epochMillis(), name: "creation_ts" },
  },
});
