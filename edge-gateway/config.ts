import { tmpdir } from "node:os";
import { readShutdownGraceMs } from "../shared/lifecycle/shutdown.js";
import type { HttpTimeouts } from "./http/http-server.js";
import type { JsonBodyLimits } from "./http/json-body.js";
import type { EnvReader } from "../shared/config/env-reader.js";
import { readControlPlaneUrls } from "../shared/rpc/control-plane-pool.js";
import { isAddressOrRange } from "../shared/net/ip-ranges.js";

export interface GatewayConfig {
  host: string;
  port: number;
  /** Base URLs of the control-plane replicas' gRPC/Connect ports. */
  controlPlaneUrls: string[];
  json: JsonBodyLimits;
  timeouts: HttpTimeouts;
  shutdownGraceMs: number;
  rpcTimeoutMs: number;
  streamTimeoutMs: number;
  maxUploadBytes: number;
  /** Where multipart uploads are spooled while they are parsed. */
  spoolDir: string;
  /** Proxies whose X-Forwarded-For the gateway believes about their own client (addresses or CIDR ranges). */
  trustedProxies: string[];
}

/** Reads the gateway's PODS_* variables; problems are recorded on `env`. */
export function readGatewayConfig(env: EnvReader): GatewayConfig {
  const controlPlaneUrls = readControlPlaneUrls(env);
  return {
    host: env.string("PODS_HTTP_HOST", "127.0.0.1"),
    port: env.int("PODS_HTTP_PORT", 8080, { min: 0, max: 65_535 }),
    controlPlaneUrls,
    json: {
      maxBytes: env.int("PODS_MAX_JSON_BYTES", 16 * 1024 * 1024, { min: 1024 }),
      maxDepth: env.int("PODS_MAX_JSON_DEPTH", 32, { min: 4, max: 40 }),
    },
    timeouts: {
      headersMs: env.int("PODS_HTTP_HEADERS_TIMEOUT_SECONDS", 20, { min: 1 }) * 1000,
      bodyMs: env.int("PODS_HTTP_BODY_TIMEOUT_SECONDS", 30, { min: 1 }) * 1000,
      idleMs: env.int("PODS_HTTP_IDLE_TIMEOUT_SECONDS", 65, { min: 1 }) * 1000,
    },
    shutdownGraceMs: readShutdownGraceMs(env),
    rpcTimeoutMs: env.int("PODS_RPC_TIMEOUT_SECONDS", 60, { min: 1 }) * 1000,
    streamTimeoutMs: env.int("PODS_STREAM_TIMEOUT_SECONDS", 6 * 3600, { min: 1 }) * 1000,
    maxUploadBytes: env.int("PODS_MAX_UPLOAD_BYTES", 4 * 1024 ** 3, { min: 1024 }),
    spoolDir: env.string("PODS_UPLOAD_SPOOL_DIR", tmpdir()),
    trustedProxies: readTrustedProxies(env),
  };
}

/** PODS_TRUSTED_PROXIES: addresses or CIDR ranges, comma-separated. */
function readTrustedProxies(env: EnvReader): string[] {
  const entries = env.list("PODS_TRUSTED_PROXIES", "");
  for (const entry of entries) {
    if (!isAddressOrRange(entry)) env.invalid("PODS_TRUSTED_PROXIES", `${JSON.stringify(entry)} is not an IP address or CIDR range`);
  }
  return entries;
}
