/**
 * The pod as the control plane reasons about it. Definition fields use the
 * REST contract's snake_case names because they are stored and merged as JSON.
 */

export const podStatuses = [
  "REQUESTED",
  "SPAWNING",
  "AVAILABLE",
  "STOPPED",
  "RESTARTING",
  "SHUTTING_DOWN",
  "COMPLETE",
  "ERROR",
] as const;
export type PodStatusName = (typeof podStatuses)[number];

export const requestableStatuses = ["ON", "OFF", "RESTART"] as const;
export type StatusRequestedName = (typeof requestableStatuses)[number];

export interface NetworkingSpec {
  protocol?: string;
  port?: number;
  url?: string;
  ip_allow_list?: string[];
  tapis_auth?: boolean;
  tapis_auth_response_headers?: Record<string, string>;
  tapis_auth_allowed_users?: string[];
  tapis_auth_return_path?: string;
  cors_allow_origins?: string[];
  cors_allow_methods?: string[];
  cors_allow_headers?: string[];
  cors_allow_credentials?: boolean;
  cors_max_age?: number;
  cors_add_vary_header?: boolean;
  tapis_ui_uri?: string;
  tapis_ui_uri_redirect?: boolean;
  tapis_ui_uri_description?: string;
  access_gate?: boolean;
  access_gate_return_path?: string;
}

export interface ResourcesSpec {
  cpu_request?: number;
  cpu_limit?: number;
  mem_request?: number;
  mem_limit?: number;
  gpus?: number;
  ephemeral_storage_request?: number;
  ephemeral_storage_limit?: number;
}

export interface VolumeMountSpec {
  type: string;
  source_id?: string;
  sub_path?: string;
  read_only?: boolean;
  config_content?: string;
  config_permissions?: string;
  config_filename?: string;
  config_update_mode?: string;
  /** Set by the service in views only (see PodRecord.mountUsers); refused in what users send. */
  mounted_by?: string;
}

/** One probe of a pod's container: one action (HTTP GET, TCP connect or a command) and its timing. */
export interface HealthcheckProbeSpec {
  http_get_path?: string;
  http_get_port?: number;
  http_get_scheme?: string;
  exec_command?: string[];
  tcp_socket_port?: number;
  initial_delay_seconds?: number;
  period_seconds?: number;
  timeout_seconds?: number;
  failure_threshold?: number;
  success_threshold?: number;
}

/** The probes of a pod's container, as upstream names them. */
export interface HealthchecksSpec {
  liveness?: HealthcheckProbeSpec;
  readiness?: HealthcheckProbeSpec;
  startup?: HealthcheckProbeSpec;
  networking_requires_ready?: boolean;
}

/**
 * What a user (or a template tag) set for a pod. An absent key was not set and
 * falls back to the template, then to the default. A null mount removes one
 * inherited from the template.
 */
export interface PodFields {
  image?: string;
  template?: string;
  description?: string;
  command?: string[];
  arguments?: string[];
  environment_variables?: Record<string, string>;
  secret_map?: Record<string, string>;
  volume_mounts?: Record<string, VolumeMountSpec | null>;
  time_to_stop_default?: number;
  time_to_stop_instance?: number | null;
  networking?: Record<string, NetworkingSpec>;
  resources?: ResourcesSpec;
  compute_queue?: string;
  template_overrides?: Record<string, unknown>;
  healthchecks?: HealthchecksSpec;
}

/** A stored pod: its definition plus what the service tracks about it. */
export interface PodRecord {
  tenantId: string;
  podId: string;
  siteId: string;
  /** New for each pod created under this id. */
  uid: string;
  /** Rises with every change the cluster must act on. */
  generation: number;
  clusterId: string;
  fields: PodFields;
  /** The exact template version ("name:tag@timestamp") the pod is pinned to, if templated. */
  templateVersion: string | null;
  statusRequested: StatusRequestedName;
  status: PodStatusName;
  statusContainer: Record<string, unknown>;
  creationTs: number;
  updateTs: number;
  startInstanceTs: number | null;
  timeToStopTs: number | null;
  /** The user who created the pod, whose secrets `${secret:name}` means; null for pods made before owners were kept. */
  owner?: string | null;
  /**
   * Who mounted each volume and snapshot the pod mounts, by mount path: the
   * user whose permissions that mount needs. A mount missing here (older
   * pods; one a base template added since) counts as the owner's.
   */
  mountUsers?: Record<string, string> | null;
}

export const podDefaults = {
  image: "",
  template: "",
  description: "",
  timeToStopDefault: 43_200,
  computeQueue: "default",
  networking: { default: { protocol: "http", port: 5000 } } as Record<string, NetworkingSpec>,
  // Ephemeral storage -1: unlimited, as upstream has it.
  resources: { cpu_request: 250, cpu_limit: 2000, mem_request: 256, mem_limit: 3072, gpus: 0, ephemeral_storage_request: -1, ephemeral_storage_limit: -1 } as Required<ResourcesSpec>,
} as const;

/** Every networking field with its default, for results. */
export function networkingWithDefaults(spec: NetworkingSpec): Required<NetworkingSpec> {
  return {
    protocol: spec.protocol ?? "http",
    port: spec.port ?? 5000,
    url: spec.url ?? "",
    ip_allow_list: spec.ip_allow_list ?? [],
    tapis_auth: spec.tapis_auth ?? false,
    tapis_auth_response_headers: spec.tapis_auth_response_headers ?? {},
    tapis_auth_allowed_users: spec.tapis_auth_allowed_users?.length ? spec.tapis_auth_allowed_users : ["*"],
    tapis_auth_return_path: spec.tapis_auth_return_path ?? "/",
    cors_allow_origins: spec.cors_allow_origins ?? [],
    cors_allow_methods: spec.cors_allow_methods ?? [],
    cors_allow_headers: spec.cors_allow_headers ?? [],
    cors_allow_credentials: spec.cors_allow_credentials ?? false,
    cors_max_age: spec.cors_max_age ?? 100,
    cors_add_vary_header: spec.cors_add_vary_header ?? true,
    tapis_ui_uri: spec.tapis_ui_uri ?? "",
    tapis_ui_uri_redirect: spec.tapis_ui_uri_redirect ?? false,
    tapis_ui_uri_description: spec.tapis_ui_uri_description ?? "",
    access_gate: spec.access_gate ?? false,
    access_gate_return_path: spec.access_gate_return_path ?? "/",
  };
}

/** Resources with the defaults filled in where unset. */
export function resourcesWithDefaults(spec: ResourcesSpec | undefined): ResourcesSpec {
  return { ...podDefaults.resources, ...withoutUndefined(spec ?? {}) };
}

/** The object with its undefined fields left out, so that a spread over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(value: T): T {
  const kept: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) kept[key] = value[key];
  return kept as T;
}
