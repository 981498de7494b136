import { create } from "@bufbuild/protobuf";
import { EdgeProtocol, EdgeRouteSchema, type EdgeRoute } from "../../gen/tapis/pods/v1/edge_service_pb.js";
import { podObjectName } from "../../shared/kubernetes/kubernetes-names.js";
import { networkingWithDefaults, type NetworkingSpec } from "../pods/pod-model.js";
import { networkingEntryProblems } from "./networking-rules.js";
import { clusterOnlyProtocol, hostProblem, podHost, podHostLabel } from "./pod-hosts.js";

/** What the edge needs to know of the site it routes for. */
export interface EdgeSite {
  siteId: string;
  /** The domain of pod URLs on clusters that registered none. */
  defaultDomain: string;
  /** Where proxies reach the Pods API (forward auth, login callbacks); undefined when not configured. */
  apiUrl: string | undefined;
  /** Service address ("host:port") → the address to route to instead (development and tests). */
  serviceAddresses: Record<string, string>;
}

/** A pod the edge may route: its ids, its effective networking entries and its cluster. */
export interface RoutablePod {
  tenantId: string;
  podId: string;
  siteId: string;
  networking: Record<string, NetworkingSpec>;
  cluster: { domain: string; namespace: string };
}

/** The routes of one pod, or (when any entry breaks a rule) none and the reasons. */
export interface PodEdge {
  routes: EdgeRoute[];
  /** "networking.<key>[.<field>]: <rule>" */
  problems: string[];
}

/** The header an allowing gate answer names the visitor's token in, for the pod. */
export const gateCodeHeader = "X-Tapis-Gate-Code";

const protocols: Record<string, EdgeProtocol> = {
  http: EdgeProtocol.HTTP,
  tcp: EdgeProtocol.TCP,
  postgres: EdgeProtocol.POSTGRES,
};

/**
 * The edge routes of a pod's networking entries, one per routed entry in
 * networking-key order. Every entry is checked first; a pod with any entry
 * that breaks a rule gets no route at all, so no entry is ever served
 * with a rule (an allow list, a login) silently missing.
 */
export function edgeRoutesOfPod(pod: RoutablePod, site: EdgeSite): PodEdge {
  const domain = pod.cluster.domain || site.defaultDomain;
  const entries = Object.entries(pod.networking).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const problems: string[] = [];
  for (const [key, spec] of entries) {
    for (const problem of networkingEntryProblems(spec)) problems.push(`networking.${key}.${problem.field}: ${problem.rule}`);
    if (spec.protocol === clusterOnlyProtocol) continue;
    const host = hostProblem(pod.podId, key, pod.tenantId, domain);
    if (host) problems.push(`networking.${key}: ${host}`);
    for (const guard of ["tapis_auth", "access_gate"] as const) {
      if (spec[guard] && !site.apiUrl) problems.push(`networking.${key}.${guard}: PODS_EDGE_API_URL is not set, so no proxy can ask the service who may pass`);
    }
  }
  if (problems.length > 0) return { routes: [], problems };
  const objectName = podObjectName(pod.siteId, pod.tenantId, pod.podId);
  const routes = entries
    .filter(([, spec]) => (spec.protocol ?? "http") !== clusterOnlyProtocol)
    .map(([key, given]) => {
      const spec = networkingWithDefaults(given);
      const service = `${objectName}.${pod.cluster.namespace}.svc:${spec.port}`;
      const podIdNet = podHostLabel(pod.podId, key);
      return create(EdgeRouteSchema, {
        name: `${objectName}-${key}`,
        tenantId: pod.tenantId,
        podId: pod.podId,
        networkingKey: key,
        protocol: protocols[spec.protocol],
        host: podHost(pod.podId, key, pod.tenantId, domain),
        upstream: site.serviceAddresses[service] ?? service,
        ipAllowList: spec.ip_allow_list,
        auth: spec.tapis_auth
          ? {
              address: `${site.apiUrl}/v3/pods/${podIdNet}/auth?tenant_id=${encodeURIComponent(pod.tenantId)}`,
              callbackPath: `/v3/pods/${podIdNet}/auth/callback`,
              responseHeaders: Object.keys(spec.tapis_auth_response_headers),
            }
          : undefined,
        gate: spec.access_gate
          ? {
              address: `${site.apiUrl}/v3/pods/${podIdNet}/gate?tenant_id=${encodeURIComponent(pod.tenantId)}`,
              redeemPath: `/v3/pods/${podIdNet}/gate/redeem`,
              responseHeaders: [gateCodeHeader],
            }
          : undefined,
        cors:
          spec.cors_allow_origins.length > 0
            ? {
                allowOrigins: spec.cors_allow_origins,
                allowMethods: spec.cors_allow_methods,
                allowHeaders: spec.cors_allow_headers,
                allowCredentials: spec.cors_allow_credentials,
                maxAge: spec.cors_max_age,
                addVaryHeader: spec.cors_add_vary_header,
              }
            : undefined,
      });
    });
  return { routes, problems };
}
