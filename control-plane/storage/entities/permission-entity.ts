import { EntitySchema } from "typeorm";
import { shortText } from "./column-types.js";

export type ObjectKind = "pod" | "template" | "volume" | "snapshot" | "secret";
export type LevelName = "READ" | "USER" | "ADMIN";

/** One grant: `username` holds `level` on an object of a tenant. */
export interface PermissionRow {
  tenantId: string;
  objectKind: ObjectKind;
  objectId: string;
  username: string;
  level: LevelName;
}

export const PermissionEntity = new EntitySchema<PermissionRow>({
  name: "Permission",
  tableName: "permissions",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    objectKind: { ...shortText(16), primary: true, name: "object_kind" },
    objectId: { ...shortText(128), primary: true, name: "object_id" },
    username: { ...shortText(128), primary: true },
    level: shortText(8),
  },
});
