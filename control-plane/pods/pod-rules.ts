import { ProblemList } from "../errors/domain-errors.js";
import { networkingEntryProblems } from "../edge/networking-rules.js";
import { hostLabelProblem } from "../edge/pod-hosts.js";
import { validateSecretMapValues } from "../secrets/secret-placeholders.js";
import { validateHealthchecks } from "./healthcheck-rules.js";
import type { PodLimits } from "./pod-limits.js";
import type { NetworkingSpec, PodFields, ResourcesSpec, VolumeMountSpec } from "./pod-model.js";


/** Words that name other resources in REST paths and so cannot be pod ids. */
export const reservedPodIds = new Set([
  "templates",
  "images",
  "volumes",
  "snapshots",
  "secrets",
  "jupyter",
  "clusters",
  "healthcheck",
  // The gateway serves the API's description at /v3/pods/docs and /v3/pods/openapi.json.
  "docs",
  "openapi",
]);

const podIdPattern = /^[a-z][a-z0-9]{2,63}$/;
/** Ids of volumes and snapshots follow the pod id rule. */
const objectIdPattern = podIdPattern;
/** A PersistentVolumeClaim name as Kubernetes allows it (a DNS-1123 label). */
export const claimNamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const networkingKeyPattern = /^[a-z0-9]{1,32}$/;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const templateRefPattern = /^[a-z0-9][a-z0-9_-]*(:[A-Za-z0-9._-]+(@[0-9][0-9:T_.-]*)?)?$/;
const mountTypes = new Set(["tapisvolume", "tapissnapshot", "ephemeral", "pvc"]);
const maxConfigContentBytes = 1024 * 1024;
const maxNetworkingEntries = 3;
/** Ephemeral storage without a bound. */
const unlimited = -1;

/** Checks a new pod id; throws InvalidArgumentError naming the rule it breaks. */
export function validatePodId(podId: string, problems: ProblemList): void {
  if (!podIdPattern.test(podId)) {
    problems.add(
      "pod_id",
      "must be 3-64 lowercase letters and digits, starting with a letter (got " + JSON.stringify(podId) + ")",
    );
  } else if (reservedPodIds.has(podId)) {
    problems.add("pod_id", `'${podId}' is reserved by the API; choose another id`);
  }
}

/**
 * Checks the fields a user set on create or update. `field` prefixes are the
 * REST names, so messages point at what the caller sent.
 */
export function validatePodFields(fields: PodFields, limits: PodLimits, problems: ProblemList): void {
  if (fields.description !== undefined) validateDescription(fields.description, problems);
  if (fields.template !== undefined && fields.template !== "" && !templateRefPattern.test(fields.template)) {
    problems.add("template", "must be 'name', 'name:tag' or 'name:tag@timestamp'");
  }
  if (fields.image !== undefined && /\s/.test(fields.image)) problems.add("image", "must not contain spaces");
  validateTimeToStop("time_to_stop_default", fields.time_to_stop_default, limits, problems);
  validateTimeToStop("time_to_stop_instance", fields.time_to_stop_instance ?? undefined, limits, problems);
  for (const name of Object.keys(fields.environment_variables ?? {})) {
    if (!envNamePattern.test(name)) {
      problems.add(`environment_variables.${name}`, "names must start with a letter or '_' and hold letters, digits, '_', '.' or '-'");
    }
  }
  for (const key of Object.keys(fields.secret_map ?? {})) {
    if (!envNamePattern.test(key)) problems.add(`secret_map.${key}`, "keys must be valid variable names");
  }
  if (fields.secret_map !== undefined) validateSecretMapValues(fields.secret_map, problems);
  if (fields.networking !== undefined) validateNetworking(fields.networking, problems);
  if (fields.resources !== undefined) validateResources(fields.resources, limits, problems);
  if (fields.volume_mounts !== undefined) validateVolumeMounts(fields.volume_mounts, problems);
  if (fields.template_overrides !== undefined) validateTemplateOverrides(fields.template_overrides, problems);
  if (fields.healthchecks !== undefined) validateHealthchecks(fields.healthchecks, problems);
}

/**
 * Checks what template_overrides make of the template's values, named as
 * template_overrides.<field>, so overrides obey the same rules as fields set
 * directly.
 */
export function validateOverriddenFields(overridden: PodFields, overrides: Record<string, unknown>, limits: PodLimits, problems: ProblemList): void {
  const touched = Object.fromEntries(Object.keys(overrides).map((key) => [key, overridden[key as keyof PodFields]])) as PodFields;
  validatePodFields(touched, limits, problems.under("template_overrides."));
}

export function validateDescription(description: string, problems: ProblemList, field = "description"): void {
  if (description.length > 255) problems.add(field, "must be at most 255 characters");
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7F]*$/.test(description)) problems.add(field, "must be ASCII");
}

function validateTimeToStop(field: string, value: number | undefined, limits: PodLimits, problems: ProblemList): void {
  if (value === undefined || value === -1) return;
  if (value < limits.minTimeToStopSeconds) {
    problems.add(field, `must be -1 (never stop) or at least ${limits.minTimeToStopSeconds} seconds`);
  }
}

function validateNetworking(networking: Record<string, NetworkingSpec>, problems: ProblemList): void {
  const keys = Object.keys(networking);
  if (keys.length > maxNetworkingEntries) problems.add("networking", `at most ${maxNetworkingEntries} entries`);
  for (const key of keys) {
    const spec = networking[key]!;
    const at = `networking.${key}`;
    if (!networkingKeyPattern.test(key)) problems.add(at, "keys must be 1-32 lowercase letters and digits");
    if (spec.url !== undefined && spec.url !== "") problems.add(`${at}.url`, "is set by the service");
    for (const problem of networkingEntryProblems(spec)) problems.add(`${at}.${problem.field}`, problem.rule);
  }
}

/** Each entry's host label `<pod>` or `<pod>-<key>` must fit in one DNS label. */
export function validateHostLabels(podId: string, networking: Record<string, NetworkingSpec> | undefined, problems: ProblemList): void {
  for (const key of Object.keys(networking ?? {})) {
    const problem = hostLabelProblem(podId, key);
    if (problem) problems.add(`networking.${key}`, problem);
  }
}

function validateResources(resources: ResourcesSpec, limits: PodLimits, problems: ProblemList): void {
  const range = (name: keyof ResourcesSpec, min: number, max: number) => {
    const value = resources[name];
    if (value !== undefined && (value < min || value > max)) {
      problems.add(`resources.${name}`, `must be between ${min} and ${max}`);
    }
  };
  range("cpu_request", limits.cpu.min, limits.cpu.max);
  range("cpu_limit", limits.cpu.min, limits.cpu.max);
  range("mem_request", limits.memoryMiB.min, limits.memoryMiB.max);
  range("mem_limit", limits.memoryMiB.min, limits.memoryMiB.max);
  range("gpus", 0, limits.maxGpus);
  for (const name of ["ephemeral_storage_request", "ephemeral_storage_limit"] as const) {
    const value = resources[name];
    if (value !== undefined && value !== unlimited && (value < limits.ephemeralStorageMiB.min || value > limits.ephemeralStorageMiB.max)) {
      problems.add(`resources.${name}`, `must be between ${limits.ephemeralStorageMiB.min} and ${limits.ephemeralStorageMiB.max}, or ${unlimited} (unlimited)`);
    }
  }
  const pair = (request: keyof ResourcesSpec, limit: keyof ResourcesSpec) => {
    const r = resources[request];
    const l = resources[limit];
    if (r !== undefined && l !== undefined && r !== unlimited && l !== unlimited && r > l) problems.add(`resources.${request}`, `must not exceed ${limit} (${l})`);
  };
  pair("cpu_request", "cpu_limit");
  pair("mem_request", "mem_limit");
  pair("ephemeral_storage_request", "ephemeral_storage_limit");
}

function validateVolumeMounts(mounts: Record<string, VolumeMountSpec | null>, problems: ProblemList): void {
  for (const [path, mount] of Object.entries(mounts)) {
    const at = `volume_mounts.${path}`;
    if (!path.startsWith("/") || path.includes("..")) problems.add(at, "keys must be absolute paths without '..'");
    if (mount === null) continue;
    if (mount.mounted_by !== undefined) problems.add(`${at}.mounted_by`, "is set by the service");
    if (!mountTypes.has(mount.type)) problems.add(`${at}.type`, `must be one of ${[...mountTypes].join(", ")}`);
    if (mount.type !== "ephemeral" && !mount.source_id) problems.add(`${at}.source_id`, `is required for type ${mount.type || "(unset)"}`);
    else if (mount.source_id) validateSourceId(at, mount, problems);
    if (mount.sub_path?.includes("..")) problems.add(`${at}.sub_path`, "must not contain '..'");
    if (mount.type === "tapissnapshot" && mount.read_only === false) problems.add(`${at}.read_only`, "tapissnapshot mounts are read-only");
    if (mount.type === "ephemeral" && mount.config_content === undefined) problems.add(`${at}.config_content`, "is required for type ephemeral");
    if (mount.type === "tapisvolume" && mount.config_content !== undefined && !mount.config_filename) {
      problems.add(`${at}.config_filename`, "is required when a tapisvolume mount has config_content");
    }
    if (mount.config_content !== undefined && Buffer.byteLength(mount.config_content) > maxConfigContentBytes) {
      problems.add(`${at}.config_content`, "must be at most 1 MB");
    }
    if (mount.config_permissions !== undefined && !/^0?[0-7]{3}$/.test(mount.config_permissions)) {
      problems.add(`${at}.config_permissions`, "must be an octal Unix mode such as 0644");
    }
    if (mount.config_update_mode !== undefined && !["always", "once"].includes(mount.config_update_mode)) {
      problems.add(`${at}.config_update_mode`, "must be always or once");
    }
    if (mount.config_filename !== undefined && /[/\\]/.test(mount.config_filename)) {
      problems.add(`${at}.config_filename`, "must be a file name, not a path");
    }
  }
}

/** A mount's source is named by an id, never by a path that could lead elsewhere. */
function validateSourceId(at: string, mount: VolumeMountSpec, problems: ProblemList): void {
  const id = mount.source_id!;
  if (mount.type === "pvc") {
    if (!claimNamePattern.test(id)) problems.add(`${at}.source_id`, "must be a claim id: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit");
  } else if (mount.type === "tapisvolume" || mount.type === "tapissnapshot") {
    if (!objectIdPattern.test(id)) problems.add(`${at}.source_id`, `must be a ${mount.type === "tapisvolume" ? "volume" : "snapshot"} id: 3-64 lowercase letters and digits, starting with a letter`);
  }
}

/**
 * The PersistentVolumeClaims a pod's effective mounts name that are not
 * granted to its tenant on its cluster, as problems naming each mount.
 */
export function validateClaimGrants(mounts: PodFields["volume_mounts"], granted: readonly string[], where: { tenantId: string; clusterId: string }, problems: ProblemList): void {
  for (const [path, mount] of Object.entries(mounts ?? {})) {
    if (mount?.type !== "pvc" || !mount.source_id || granted.includes(mount.source_id)) continue;
    problems.add(`volume_mounts.${path}.source_id`, `claim '${mount.source_id}' is not granted to tenant '${where.tenantId}' on cluster '${where.clusterId}'`);
  }
}

/** The pod fields template_overrides may change. */
export const overridableFields: ReadonlySet<string> = new Set(["volume_mounts", "secret_map", "environment_variables", "networking", "resources"]);

function validateTemplateOverrides(overrides: Record<string, unknown>, problems: ProblemList): void {
  for (const [key, value] of Object.entries(overrides)) {
    if (!overridableFields.has(key)) {
      problems.add(`template_overrides.${key}`, `cannot be overridden; allowed: ${[...overridableFields].join(", ")}`);
    } else if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.add(`template_overrides.${key}`, "must be an object");
    }
  }
}
