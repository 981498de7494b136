import { EntitySchema } from "typeorm";
import { epochMillis, jsonText, shortText } from "./column-types.js";

/** Tenant id of templates every tenant can read (the built-in ones). */
export const globalTenant = "*";

export interface TemplateRow {
  tenantId: string;
  templateId: string;
  siteId: string;
  description: string;
  metatags: string[];
  archiveMessage: string;
  owner: string;
  creationTs: number;
  updateTs: number;
}

export const TemplateEntity = new EntitySchema<TemplateRow>({
  name: "Template",
  tableName: "templates",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    templateId: { ...shortText(128), primary: true, name: "template_id" },
    siteId: { ...shortText(64), name: "site_id" },
    description: shortText(2048),
    metatags: jsonText(),
    archiveMessage: { ...shortText(2048), name: "archive_message" },
    owner: shortText(128),
    creationTs: { ...epochMillis(), name: "creation_ts" },
    updateTs: { ...epochMillis(), name: "update_ts" },
  },
});
