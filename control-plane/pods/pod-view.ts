import { clusterOnlyProtocol, podHost } from "../edge/pod-hosts.js";
import { mounterOf, storageKindOf } from "../files/mount-owners.js";
import { healthchecksView, networkingLive, type HealthchecksView } from "./healthchecks.js";
import {
  networkingWithDefaults,
  podDefaults,
  resourcesWithDefaults,
  type NetworkingSpec,
  type PodFields,
  type PodRecord,
  type PodStatusName,
  type ResourcesSpec,
  type StatusRequestedName,
  type VolumeMountSpec,
} from "./pod-model.js";

/** A pod as clients see it: every field present, defaults filled in. */
export interface PodView {
  pod_id: string;
  image: string;
  template: string;
  description: string;
  command: string[];
  arguments: string[];
  environment_variables: Record<string, string>;
  secret_map: Record<string, string>;
  status_requested: StatusRequestedName;
  volume_mounts: Record<string, VolumeMountSpec>;
  time_to_stop_default: number;
  time_to_stop_instance: number | null;
  networking: Record<string, Required<NetworkingSpec>>;
  resources: ResourcesSpec;
  compute_queue: string;
  template_overrides: Record<string, unknown> | null;
  time_to_stop_ts: number | null;
  status: PodStatusName;
  status_container: Record<string, unknown>;
  creation_ts: number;
  update_ts: number;
  start_instance_ts: number | null;
  /** The default networking entry's URL, as the seed docs show it; "" without one. */
  url: string;
  healthchecks: HealthchecksView | null;
  /** Whether the edge routes the pod's URLs now (see networkingLive). */
  networking_live: boolean;
}

/** The URL of a networking entry (see pod-hosts.ts); an entry only the cluster reaches has none. */
export function podUrl(record: Pick<PodRecord, "podId" | "tenantId">, networkingKey: string, spec: NetworkingSpec, domain: string): string {
  return spec.protocol === clusterOnlyProtocol ? "" : podHost(record.podId, networkingKey, record.tenantId, domain);
}

/**
 * The view of `record` showing `fields` (the pod's own, or the derived
 * definition), with URLs under `domain` (its cluster's). Mount file contents are replaced by their size unless
 * `includeConfigs` is set, so listings stay small and configs stay private.
 */
export function podView(record: PodRecord, fields: PodFields, options: { domain: string; includeConfigs: boolean }): PodView {
  const networking = fields.networking ?? podDefaults.networking;
  return {
    pod_id: record.podId,
    image: fields.image ?? podDefaults.image,
    template: fields.template ?? podDefaults.template,
    description: fields.description ?? podDefaults.description,
    command: fields.command ?? [],
    arguments: fields.arguments ?? [],
    environment_variables: fields.environment_variables ?? {},
    secret_map: fields.secret_map ?? {},
    status_requested: record.statusRequested,
    volume_mounts: mountsView(fields.volume_mounts ?? {}, options.includeConfigs, record),
    time_to_stop_default: fields.time_to_stop_default ?? podDefaults.timeToStopDefault,
    time_to_stop_instance: fields.time_to_stop_instance ?? null,
    networking: Object.fromEntries(
      Object.entries(networking).map(([key, spec]) => [
        key,
        networkingWithDefaults({ ...spec, url: podUrl(record, key, spec, options.domain) }),
      ]),
    ),
    resources: resourcesWithDefaults(fields.resources),
    compute_queue: fields.compute_queue ?? podDefaults.computeQueue,
    template_overrides: fields.template_overrides ?? null,
    time_to_stop_ts: record.timeToStopTs,
    status: record.status,
    status_container: record.statusContainer,
    creation_ts: record.creationTs,
    update_ts: record.updateTs,
    start_instance_ts: record.startInstanceTs,
    url: networking.default ? podUrl(record, "default", networking.default, options.domain) : "",
    healthchecks: healthchecksView(fields.healthchecks),
    networking_live: networkingLive(record, fields),
  };
}

/** Unset read_only reads back as the reference says: only snapshots and config maps are read-only by default. */
const readOnlyByDefault: Record<string, boolean> = { tapisvolume: false, pvc: false, tapissnapshot: true, ephemeral: true };

/** Volumes and snapshots show who mounted them (see PodRecord.mountUsers). */
function mountsView(mounts: Record<string, VolumeMountSpec | null>, includeConfigs: boolean, record: PodRecord): Record<string, VolumeMountSpec> {
  const out: Record<string, VolumeMountSpec> = {};
  for (const [path, mount] of Object.entries(mounts)) {
    if (mount === null) continue;
    const mounter = storageKindOf[mount.type] ? mounterOf(record, path) : null;
    const shown = { ...mount, read_only: mount.read_only ?? readOnlyByDefault[mount.type] ?? false, ...(mounter ? { mounted_by: mounter } : {}) };
    out[path] =
      includeConfigs || mount.config_content === undefined
        ? shown
        : { ...shown, config_content: `<${Buffer.byteLength(mount.config_content)} bytes; use include_configs=true to show>` };
  }
  return out;
}
