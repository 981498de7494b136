import { EntitySchema } from "typeorm";
import type { PodRecord } from "../../pods/pod-model.js";
import { epochMillis, integer, jsonText, shortText } from "./column-types.js";

/** Table `pods`: one row per pod; its definition is one JSON column. */
export const PodEntity = new EntitySchema<PodRecord>({
  name: "Pod",
  tableName: "pods",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    podId: { ...shortText(64), primary: true, name: "pod_id" },
    siteId: { ...shortText(64), name: "site_id" },
    uid: shortText(36),
    generation: integer(),
    clusterId: { ...shortText(64), name: "cluster_id" },
    fields: { ...jsonText(), name: "definition" },
    templateVersion: { ...shortText(320, true), name: "template_version" },
    statusRequested: { ...shortText(16), name: "status_requested" },
    status: shortText(16),
    statusContainer: { ...jsonText(), name: "status_container" },
    creationTs: { ...epochMillis(), name: "creation_ts" },
    updateTs: { ...epochMillis(), name: "update_ts" },
    startInstanceTs: { ...epochMillis(true), name: "start_instance_ts" },
    timeToStopTs: { ...epochMillis(true), name: "time_to_stop_ts" },
    owner: shortText(128, true),
    mountUsers: { ...jsonText(true), name: "mount_users" },
  },
});
