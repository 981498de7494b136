import { EdgeProtocol, type EdgeRoute, type EdgeRoutes } from "../../gen/tapis/pods/v1/edge_service_pb.js";

/** How the site's Traefik is set up: what pod routers name. */
export interface TraefikOptions {
  /** Entry points of pod routers; all of Traefik's when empty. */
  entryPoints?: string[];
  /** Certificate resolver of TLS-terminating routers; Traefik's default certificate when unset. */
  certResolver?: string;
}

export interface TraefikRouter {
  rule: string;
  service: string;
  entryPoints?: string[];
  middlewares?: string[];
  tls: Record<string, unknown>;
}

type Section = { routers: Record<string, TraefikRouter>; services: Record<string, unknown>; middlewares: Record<string, unknown> };

/** Traefik v3 dynamic configuration; empty sections are left out. */
export interface TraefikConfig {
  http?: Partial<Section>;
  tcp?: Partial<Section>;
}

/** The Traefik service of the Pods API, which login callbacks go to. */
export const apiServiceName = "tapis-pods-api";

/**
 * Renders the edge model as Traefik's dynamic configuration: HTTP routers by
 * Host with, in this order, an ipAllowList, a headers (CORS) and a
 * forwardAuth middleware (tapis_auth, or the access gate) as the route asks,
 * plus a router sending the login callback (or the gate's redemptions) on
 * the pod's host to the API; TCP routers by HostSNI, terminating
 * TLS or (postgres) passing it through. Pure: the same model gives the same
 * configuration, key for key.
 */
export function traefikConfig(model: EdgeRoutes, options: TraefikOptions = {}): TraefikConfig {
  const http: Section = { routers: {}, services: {}, middlewares: {} };
  const tcp: Section = { routers: {}, services: {}, middlewares: {} };
  const entryPoints = options.entryPoints?.length ? { entryPoints: [...options.entryPoints] } : {};
  const terminated = () => (options.certResolver ? { certResolver: options.certResolver } : {});
  for (const route of model.routes) {
    if (route.protocol === EdgeProtocol.HTTP) addHttpRoute(http, route, model.apiUrl, entryPoints, terminated);
    else addTcpRoute(tcp, route, entryPoints, terminated);
  }
  const config: TraefikConfig = {};
  const nonEmpty = (section: Section) => {
    const kept = Object.fromEntries(Object.entries(section).filter(([, entries]) => Object.keys(entries).length > 0));
    return Object.keys(kept).length > 0 ? (kept as Partial<Section>) : undefined;
  };
  const httpSection = nonEmpty(http);
  const tcpSection = nonEmpty(tcp);
  if (httpSection) config.http = httpSection;
  if (tcpSection) config.tcp = tcpSection;
  return config;
}

function addHttpRoute(http: Section, route: EdgeRoute, apiUrl: string, entryPoints: object, terminated: () => Record<string, unknown>): void {
  const name = route.name;
  const guard: string[] = [];
  if (route.ipAllowList.length > 0) {
    http.middlewares[`${name}-ipallowlist`] = { ipAllowList: { sourceRange: [...route.ipAllowList] } };
    guard.push(`${name}-ipallowlist`);
  }
  const middlewares = [...guard];
  if (route.cors) {
    const cors = route.cors;
    http.middlewares[`${name}-cors`] = {
      headers: {
        accessControlAllowOriginList: [...cors.allowOrigins],
        ...(cors.allowMethods.length > 0 ? { accessControlAllowMethods: [...cors.allowMethods] } : {}),
        ...(cors.allowHeaders.length > 0 ? { accessControlAllowHeaders: [...cors.allowHeaders] } : {}),
        accessControlAllowCredentials: cors.allowCredentials,
        accessControlMaxAge: cors.maxAge,
        addVaryHeader: cors.addVaryHeader,
      },
    };
    middlewares.push(`${name}-cors`);
  }
  if (route.auth) {
    http.middlewares[`${name}-auth`] = {
      forwardAuth: { address: route.auth.address, ...(route.auth.responseHeaders.length > 0 ? { authResponseHeaders: [...route.auth.responseHeaders] } : {}) },
    };
    middlewares.push(`${name}-auth`);
    http.routers[`${name}-auth-callback`] = {
      rule: `Host(\`${route.host}\`) && Path(\`${route.auth.callbackPath}\`)`,
      service: apiServiceName,
      ...entryPoints,
      ...(guard.length > 0 ? { middlewares: guard } : {}),
      tls: terminated(),
    };
    http.services[apiServiceName] = { loadBalancer: { servers: [{ url: apiUrl }] } };
  }
  if (route.gate) {
    http.middlewares[`${name}-gate`] = { forwardAuth: { address: route.gate.address, authResponseHeaders: [...route.gate.responseHeaders] } };
    middlewares.push(`${name}-gate`);
    http.routers[`${name}-gate-redeem`] = {
      rule: `Host(\`${route.host}\`) && Path(\`${route.gate.redeemPath}\`)`,
      service: apiServiceName,
      ...entryPoints,
      ...(guard.length > 0 ? { middlewares: guard } : {}),
      tls: terminated(),
    };
    http.services[apiServiceName] = { loadBalancer: { servers: [{ url: apiUrl }] } };
  }
  http.routers[name] = {
    rule: `Host(\`${route.host}\`)`,
    service: name,
    ...entryPoints,
    ...(middlewares.length > 0 ? { middlewares } : {}),
    tls: terminated(),
  };
  http.services[name] = { loadBalancer: { servers: [{ url: `http://${route.upstream}` }] } };
}

function addTcpRoute(tcp: Section, route: EdgeRoute, entryPoints: object, terminated: () => Record<string, unknown>): void {
  const name = route.name;
  if (route.ipAllowList.length > 0) tcp.middlewares[`${name}-ipallowlist`] = { ipAllowList: { sourceRange: [...route.ipAllowList] } };
  tcp.routers[name] = {
    rule: `HostSNI(\`${route.host}\`)`,
    service: name,
    ...entryPoints,
    ...(route.ipAllowList.length > 0 ? { middlewares: [`${name}-ipallowlist`] } : {}),
    tls: route.protocol === EdgeProtocol.POSTGRES ? { passthrough: true } : terminated(),
  };
  tcp.services[name] = { loadBalancer: { servers: [{ address: route.upstream }] } };
}
