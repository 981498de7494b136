import { existsSync } from "node:fs";
import type { EnvReader } from "../shared/config/env-reader.js";
import { readControlPlaneUrls } from "../shared/rpc/control-plane-pool.js";

/** The nginx edge proxy's PODS_* settings. */
export interface EdgeProxyConfig {
  nginxBin: string;
  runDir: string;
  listen: string;
  certificate: string;
  certificateKey: string;
  modules: string[];
  resolver: string | undefined;
  controlPlaneUrls: string[];
  clusterId: string;
  pollMs: number;
  rpcTimeoutMs: number;
}

export function readEdgeProxyConfig(env: EnvReader): EdgeProxyConfig {
  const certificate = env.optionalString("PODS_EDGE_TLS_CERT");
  const certificateKey = env.optionalString("PODS_EDGE_TLS_KEY");
  for (const [name, file] of [["PODS_EDGE_TLS_CERT", certificate], ["PODS_EDGE_TLS_KEY", certificateKey]] as const) {
    if (!file) env.invalid(name, "is required: the certificate (and key) served for the pods' host names");
    else if (!existsSync(file)) env.invalid(name, `${file} does not exist`);
  }
  const nginxBin = env.string("PODS_EDGE_NGINX_BIN", "/usr/sbin/nginx");
  if (!existsSync(nginxBin)) env.invalid("PODS_EDGE_NGINX_BIN", `${nginxBin} does not exist (Debian: apt-get install nginx libnginx-mod-stream)`);
  const listen = env.string("PODS_EDGE_LISTEN", "0.0.0.0:443");
  if (!/^([0-9.]+:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$/.test(listen)) env.invalid("PODS_EDGE_LISTEN", "must be a port or address:port, such as 0.0.0.0:443");
  return {
    nginxBin,
    runDir: env.string("PODS_EDGE_NGINX_DIR", "/var/lib/pods-edge"),
    listen,
    certificate: certificate ?? "",
    certificateKey: certificateKey ?? "",
    modules: env.list("PODS_EDGE_NGINX_MODULES", "/usr/lib/nginx/modules/ngx_stream_module.so"),
    resolver: env.optionalString("PODS_EDGE_RESOLVER"),
    controlPlaneUrls: readControlPlaneUrls(env),
    clusterId: env.string("PODS_EDGE_CLUSTER_ID", ""),
    pollMs: env.int("PODS_EDGE_POLL_SECONDS", 5, { min: 1, max: 3_600 }) * 1000,
    rpcTimeoutMs: 30_000,
  };
}
