import type { EnvReader } from "../../shared/config/env-reader.js";
import { readStringMapFile } from "../config-files.js";
import type { TraefikOptions } from "./traefik-config.js";

/** How the edge routes pods: the control plane's PODS_EDGE_* settings. */
export interface EdgeConfig {
  /** Where proxies reach the Pods API; undefined: the public URL when embedded, else none. */
  apiUrl: string | undefined;
  traefik: TraefikOptions;
  /** Service address → address to route to instead (PODS_EDGE_SERVICE_ADDRESSES_FILE). */
  serviceAddresses: Record<string, string>;
}

export function readEdgeConfig(env: EnvReader): EdgeConfig {
  const apiUrl = env.optionalString("PODS_EDGE_API_URL");
  if (apiUrl !== undefined && !isBaseUrl(apiUrl)) env.invalid("PODS_EDGE_API_URL", "must be an http(s) URL without a path, such as http://pods-api:8080");
  const certResolver = env.optionalString("PODS_EDGE_CERT_RESOLVER");
  const serviceAddresses = readStringMapFile(env, "PODS_EDGE_SERVICE_ADDRESSES_FILE") ?? {};
  for (const [service, address] of Object.entries(serviceAddresses)) {
    if (!isHostPort(service) || !isHostPort(address)) env.invalid("PODS_EDGE_SERVICE_ADDRESSES_FILE", `entry ${JSON.stringify(service)}: keys and values must be host:port`);
  }
  return {
    apiUrl: apiUrl?.replace(/\/+$/, ""),
    traefik: { entryPoints: env.list("PODS_EDGE_ENTRYPOINTS", ""), ...(certResolver ? { certResolver } : {}) },
    serviceAddresses,
  };
}

function isBaseUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.pathname.replace(/\/+$/, "") === "" && !url.search && !url.hash && !url.username;
  } catch {
    return false;
  }
}

function isHostPort(text: string): boolean {
  return /^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(text);
}
