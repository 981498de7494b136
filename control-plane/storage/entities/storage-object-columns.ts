import type { EntitySchemaColumnOptions } from "typeorm";
import { bigCount, epochMillis, integer, longText, shortText } from "./column-types.js";

/** The columns volumes and snapshots share (see StorageObjectRecord). */
export function storageObjectColumns(): Record<string, EntitySchemaColumnOptions> {
  return {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    clusterId: { ...shortText(64), name: "cluster_id" },
    description: shortText(255),
    sizeLimitMb: { ...integer(), name: "size_limit_mb" },
    sizeBytes: { ...bigCount(), name: "size_bytes" },
    status: shortText(16),
    statusReason: { ...longText(), name: "status_reason" },
    creationTs: { ...epochMillis(), name: "creation_ts" },
    updateTs: { ...epochMillis(), name: "update_ts" },
    claimedBy: { ...shortText(64, true), name: "claimed_by" },
    claimedUntil: { ...epochMillis(), name: "claimed_until" },
  };
}
