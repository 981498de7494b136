import { isAbsolute, join, resolve } from "node:path";
import { commaList, type EnvReader } from "../shared/config/env-reader.js";
import { readShutdownGraceMs } from "../shared/lifecycle/shutdown.js";
import { logLevels, type LogLevel } from "../shared/logging/logger.js";
import type { TrustedTenant } from "./auth/tenant-keys.js";
import { readClusterClaimsFile, readOAuthClientsFile, readStringMapFile, readTenantKeysFile, readTenantLimitsFile } from "./config-files.js";
import { readEncryptionConfig, type EncryptionConfig } from "./crypto/encryption-config.js";
import { readEdgeConfig, type EdgeConfig } from "./edge/edge-config.js";
import { isDnsName } from "./edge/pod-hosts.js";
import type { ExecSessionLimits } from "./exec-sessions/exec-session-rules.js";
import type { JupyterConfig } from "./jupyter/jupyter-pods.js";
import { imagePatternRule, parseImagePattern } from "./images/image-reference.js";
import { defaultPodLimits, type SiteLimits } from "./pods/pod-limits.js";
import { parseDatabaseUrl, type DatabaseLocation, type DatabaseTimeouts } from "./storage/database.js";

/** Where tenants' public keys come from. */
export type TenantKeyConfig =
  | { source: "tenants-api"; url: string }
  | { source: "static"; keys: Record<string, TrustedTenant> }
  /** Embedded mode: the dev identity's own key. */
  | { source: "dev-identity" };

export interface ControlPlaneConfig {
  dataDir: string;
  database: DatabaseLocation;
  databaseTimeouts: DatabaseTimeouts;
  /** MySQL/MariaDB connections this process opens at most (the outbox relay keeps two of them). */
  databaseConnections: number;
  /** Deadline of a streamed call handed to another replica (an upload), from its start. */
  streamTimeoutMs: number;
  grpcHost: string;
  grpcPort: number;
  /** How other replicas reach this one; default http://<grpcHost>:<port>. */
  advertiseUrl: string | undefined;
  /** Secret shared by the replicas; turns on forwarding exec and uploads between them. */
  replicaToken: string | undefined;
  siteId: string;
  podDomain: string;
  /** How pods are routed at the edge (Traefik, the nginx edge proxy). */
  edge: EdgeConfig;
  /** Users' Jupyter pods: the template they are made from, where uploads land. */
  jupyter: JupyterConfig;
  /** Tenant → the service's OAuth2 client there, for tapis_auth logins. */
  oauthClients: Record<string, { clientId: string; clientKey: string }>;
  tenantKeys: TenantKeyConfig;
  /** Agent token -> cluster id. */
  agentTokens: Record<string, string>;
  /** Cluster id -> the compute queues it serves. */
  clusters: Record<string, string[]>;
  /** Cluster id -> claim name -> tenants whose pods may mount it. */
  clusterClaims: Record<string, Record<string, string[]>>;
  serviceAdmins: string[];
  /** Tenants whose service accounts may act in other tenants. */
  siteAdminTenants: string[];
  limits: SiteLimits;
  /** Bytes of container output kept per run (the newest). */
  logCapBytes: number;
  /** Runs of each pod whose output is kept (the newest). */
  logRunsKeep: number;
  /** Lines of each pod's action log kept (the newest). */
  actionLogKeep: number;
  /** Entries of each pod's exec audit kept (the newest). */
  execAuditKeep: number;
  /** The access gate: failed redemptions allowed per client address and pod within a window; audit entries kept per pod. */
  gate: { maxFailures: number; maxFailuresPerAddress: number; windowSeconds: number; auditKeep: number };
  /** How long pod changes are kept for watches to resume from. */
  watchHistorySeconds: number;
  outboxRelay: boolean;
  outboxPollMs: number;
  timeToStopSweepSeconds: number;
  agentResyncSeconds: number;
  logLevel: LogLevel;
  /** On stop: how long calls in flight may finish before their connections are cut. */
  shutdownGraceMs: number;
  /** The keys that encrypt pod credentials in the database. */
  encryption: EncryptionConfig;
  /** Image allowlist entries for every tenant, besides those service admins add. */
  allowedImages: string[];
  /** Volumes and snapshots: their limits, and the upkeep of their folders and schedules. */
  storage: StorageConfig;
  /** Time limits of interactive exec sessions: each the default and the most a caller may ask for. */
  execSessions: ExecSessionLimits;
}

export interface StorageConfig {
  /** The largest size_limit of a volume or snapshot, MB. */
  maxSizeLimitMb: number;
  /** Between passes of the replica holding the storage lease: due schedules, pending folder work, pruning. */
  upkeepSeconds: number;
  /** Between recounts of every volume's size. */
  usageSeconds: number;
  /** How long one copy into a snapshot may take. */
  copyTimeoutSeconds: number;
}

/** Defaults that differ between the embedded and the distributed way of running. */
export interface ControlPlaneDefaults {
  tenantKeys: TenantKeyConfig;
  clusters: string;
  serviceAdmins: string;
  /** PODS_ALLOWED_IMAGES when unset: comma-separated, or "none". */
  allowedImages: string;
}

/**
 * Reads the control plane's PODS_* variables. Problems are recorded on
 * `env`; the caller's `env.done()` reports them all at once.
 */
export function readControlPlaneConfig(env: EnvReader, defaults: ControlPlaneDefaults): ControlPlaneConfig {
  const dataDir = resolve(env.string("PODS_DATA_DIR", "data"));
  const databaseUrl = env.string("PODS_DATABASE_URL", `sqlite:${join(dataDir, "pods.db")}`);
  const parsed = parseDatabaseUrl(databaseUrl);
  if ("error" in parsed) env.invalid("PODS_DATABASE_URL", parsed.error);
  const database = "error" in parsed ? { kind: "sqlite" as const, url: ":memory:" } : absoluteSqlite(parsed);
  return {
    dataDir,
    database,
    databaseConnections: env.int("PODS_DATABASE_CONNECTIONS", 20, { min: 4, max: 1000 }),
    databaseTimeouts: {
      lockMs: env.int("PODS_DATABASE_LOCK_TIMEOUT_SECONDS", 10, { min: 1, max: 3600 }) * 1000,
      statementMs: env.int("PODS_DATABASE_STATEMENT_TIMEOUT_SECONDS", 30, { min: 1, max: 3600 }) * 1000,
    },
    grpcHost: env.string("PODS_GRPC_HOST", "127.0.0.1"),
    grpcPort: env.int("PODS_GRPC_PORT", 8090, { min: 0, max: 65_535 }),
    advertiseUrl: env.optionalString("PODS_GRPC_ADVERTISE_URL"),
    replicaToken: env.optionalString("PODS_REPLICA_TOKEN"),
    streamTimeoutMs: env.int("PODS_STREAM_TIMEOUT_SECONDS", 6 * 3600, { min: 1 }) * 1000,
    siteId: env.string("PODS_SITE_ID", "local"),
    podDomain: readPodDomain(env),
    edge: readEdgeConfig(env),
    oauthClients: readOAuthClientsFile(env),
    jupyter: readJupyterConfig(env),
    tenantKeys: readTenantKeys(env, defaults.tenantKeys),
    agentTokens: readStringMapFile(env, "PODS_AGENT_TOKENS_FILE") ?? {},
    clusters: parseClusters(env, env.string("PODS_CLUSTERS", defaults.clusters)),
    clusterClaims: readClusterClaimsFile(env),
    serviceAdmins: env.list("PODS_ADMIN_USERS", defaults.serviceAdmins),
    siteAdminTenants: env.list("PODS_SITE_ADMIN_TENANTS", ""),
    limits: readLimits(env),
    actionLogKeep: env.int("PODS_ACTION_LOG_KEEP", 1000, { min: 1 }),
    execAuditKeep: env.int("PODS_EXEC_AUDIT_KEEP", 1000, { min: 1 }),
    gate: {
      maxFailures: env.int("PODS_GATE_MAX_FAILURES", 10, { min: 1, max: 1000 }),
      maxFailuresPerAddress: env.int("PODS_GATE_MAX_FAILURES_PER_ADDRESS", 50, { min: 1, max: 100_000 }),
      windowSeconds: env.int("PODS_GATE_WINDOW_SECONDS", 300, { min: 10, max: 86_400 }),
      auditKeep: env.int("PODS_GATE_AUDIT_KEEP", 1000, { min: 1 }),
    },
    watchHistorySeconds: env.int("PODS_WATCH_HISTORY_SECONDS", 3600, { min: 60 }),
    logCapBytes: env.int("PODS_LOG_CAP_BYTES", 10 * 1024 * 1024, { min: 1024 }),
    logRunsKeep: env.int("PODS_LOG_RUNS_KEEP", 3, { min: 1, max: 100 }),
    outboxRelay: env.bool("PODS_OUTBOX_RELAY", true),
    outboxPollMs: env.int("PODS_OUTBOX_POLL_MS", 1000, { min: 10 }),
    timeToStopSweepSeconds: env.int("PODS_TIME_TO_STOP_SWEEP_SECONDS", 15, { min: 1 }),
    agentResyncSeconds: env.int("PODS_AGENT_RESYNC_SECONDS", 60, { min: 0 }),
    logLevel: env.oneOf("PODS_LOG_LEVEL", logLevels, "info"),
    shutdownGraceMs: readShutdownGraceMs(env),
    encryption: readEncryptionConfig(env, dataDir, database.kind),
    allowedImages: readAllowedImages(env, defaults.allowedImages),
    storage: readStorageConfig(env),
    execSessions: {
      idleTimeoutSeconds: env.int("PODS_EXEC_SESSION_IDLE_TIMEOUT_SECONDS", 1800, { min: 1, max: 86_400 }),
      totalTimeoutSeconds: env.int("PODS_EXEC_SESSION_TOTAL_TIMEOUT_SECONDS", 14_400, { min: 1, max: 7 * 86_400 }),
    },
  };
}

/** PODS_VOLUME_MAX_SIZE_MB, PODS_STORAGE_UPKEEP_SECONDS, PODS_VOLUME_USAGE_SECONDS, PODS_SNAPSHOT_COPY_TIMEOUT_SECONDS. */
function readStorageConfig(env: EnvReader): StorageConfig {
  return {
    maxSizeLimitMb: env.int("PODS_VOLUME_MAX_SIZE_MB", 1_048_576, { min: 1, max: 1_073_741_824 }),
    upkeepSeconds: env.int("PODS_STORAGE_UPKEEP_SECONDS", 15, { min: 1, max: 3_600 }),
    usageSeconds: env.int("PODS_VOLUME_USAGE_SECONDS", 300, { min: 10, max: 86_400 }),
    copyTimeoutSeconds: env.int("PODS_SNAPSHOT_COPY_TIMEOUT_SECONDS", 3_600, { min: 10, max: 86_400 }),
  };
}

/** Pod URLs are `<pod>.pods.<tenant>.<domain>`; *.localhost names reach this machine without any DNS. */
function readPodDomain(env: EnvReader): string {
  const domain = env.string("PODS_POD_DOMAIN", "localhost");
  if (!isDnsName(domain)) env.invalid("PODS_POD_DOMAIN", "must be a DNS name such as tapis.example.org");
  return domain.toLowerCase();
}

function readJupyterConfig(env: EnvReader): JupyterConfig {
  const workspace = env.string("PODS_JUPYTER_WORKSPACE", "/home/jovyan");
  if (!workspace.startsWith("/") || workspace.split("/").includes("..")) env.invalid("PODS_JUPYTER_WORKSPACE", "must be an absolute path without '..'");
  return { template: env.string("PODS_JUPYTER_TEMPLATE", "jupyter"), workspace };
}

/** PODS_ALLOWED_IMAGES: image references or prefixes ending in "*", comma-separated; "none" for no entry. */
function readAllowedImages(env: EnvReader, fallback: string): string[] {
  const value = env.string("PODS_ALLOWED_IMAGES", fallback).trim();
  if (value === "none") return [];
  const entries = commaList(value);
  for (const entry of entries) {
    if (!parseImagePattern(entry)) env.invalid("PODS_ALLOWED_IMAGES", `${JSON.stringify(entry)} ${imagePatternRule}`);
  }
  return entries;
}

function absoluteSqlite(location: DatabaseLocation): DatabaseLocation {
  if (location.kind !== "sqlite" || location.url === ":memory:" || isAbsolute(location.url)) return location;
  return { ...location, url: resolve(location.url) };
}

function readTenantKeys(env: EnvReader, fallback: TenantKeyConfig): TenantKeyConfig {
  const url = env.optionalString("PODS_TENANTS_URL");
  if (url) return { source: "tenants-api", url };
  const keys = readTenantKeysFile(env);
  return keys ? { source: "static", keys } : fallback;
}

/** "clusterA=default,small;clusterB=gpu": which cluster serves which queues. */
function parseClusters(env: EnvReader, value: string): Record<string, string[]> {
  const clusters: Record<string, string[]> = {};
  for (const entry of value.split(";").map((s) => s.trim()).filter(Boolean)) {
    const [clusterId, queues] = entry.split("=");
    if (!clusterId || !queues) {
      env.invalid("PODS_CLUSTERS", `entry ${JSON.stringify(entry)} must look like cluster=queue1,queue2`);
      continue;
    }
    clusters[clusterId.trim()] = commaList(queues);
  }
  if (Object.keys(clusters).length === 0) env.invalid("PODS_CLUSTERS", "must name at least one cluster");
  return clusters;
}

/** PODS_POD_* bounds of the site, and PODS_TENANT_LIMITS_FILE: {"<tenant>": {"max_cpu": 12000, ...}}. */
function readLimits(env: EnvReader): SiteLimits {
  const d = defaultPodLimits;
  const site = {
    minTimeToStopSeconds: env.int("PODS_MIN_TIME_TO_STOP_SECONDS", d.minTimeToStopSeconds, { min: 1 }),
    cpu: { min: env.int("PODS_POD_MIN_CPU", d.cpu.min, { min: 1 }), max: env.int("PODS_POD_MAX_CPU", d.cpu.max, { min: 1 }) },
    memoryMiB: { min: env.int("PODS_POD_MIN_MEMORY_MB", d.memoryMiB.min, { min: 1 }), max: env.int("PODS_POD_MAX_MEMORY_MB", d.memoryMiB.max, { min: 1 }) },
    maxGpus: env.int("PODS_POD_MAX_GPUS", d.maxGpus, { min: 0 }),
    ephemeralStorageMiB: { min: d.ephemeralStorageMiB.min, max: env.int("PODS_POD_MAX_EPHEMERAL_STORAGE_MB", d.ephemeralStorageMiB.max, { min: 1 }) },
  };
  if (site.cpu.min > site.cpu.max) env.invalid("PODS_POD_MIN_CPU", `must not exceed PODS_POD_MAX_CPU (${site.cpu.max})`);
  if (site.memoryMiB.min > site.memoryMiB.max) env.invalid("PODS_POD_MIN_MEMORY_MB", `must not exceed PODS_POD_MAX_MEMORY_MB (${site.memoryMiB.max})`);
  return { site, tenants: readTenantLimitsFile(env) };
}
