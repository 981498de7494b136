import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { EdgeRoutesSchema } from "../../gen/tapis/pods/v1/edge_service_pb.js";
import { edgeRoutesOfPod, type EdgeSite, type RoutablePod } from "../../control-plane/edge/edge-routes.js";
import { traefikConfig } from "../../control-plane/edge/traefik-config.js";
import type { NetworkingSpec } from "../../control-plane/pods/pod-model.js";
import { assertValidTraefikConfig } from "../support/traefik-schema.js";

const site: EdgeSite = { siteId: "local", defaultDomain: "localhost", apiUrl: "http://pods-api:8000", serviceAddresses: {} };

function routable(networking: Record<string, NetworkingSpec>, at: { tenantId?: string; podId?: string; domain?: string } = {}): RoutablePod {
  const tenantId = at.tenantId ?? "dev";
  const podId = at.podId ?? "web";
  return {
    tenantId,
    podId,
    siteId: "local",
    networking,
    cluster: { domain: at.domain ?? "", namespace: "pods" },
  };
}

/** The Traefik configuration of one pod's entries, checked against Traefik's schema. */
function configOf(networking: Record<string, NetworkingSpec>, options = {}) {
  const { routes, problems } = edgeRoutesOfPod(routable(networking), site);
  assert.deepEqual(problems, []);
  const config = traefikConfig(create(EdgeRoutesSchema, { routes, apiUrl: site.apiUrl }), options);
  assertValidTraefikConfig(config);
  return config;
}

const router = "pods-local-dev-web-default";
const service = { loadBalancer: { servers: [{ url: "http://pods-local-dev-web.pods.svc:8080" }] } };

describe("Traefik configuration of each networking feature", () => {
  it("routesAnHttpEntryByHostToThePodsService", () => {
    assert.deepEqual(configOf({ default: { protocol: "http", port: 8080 } }), {
      http: {
        routers: { [router]: { rule: "Host(`web.pods.dev.localhost`)", service: router, tls: {} } },
        services: { [router]: service },
      },
    });
  });

  it("namesTheEntryPointsAndCertificateResolverItIsGiven", () => {
    const config = configOf({ default: { protocol: "http", port: 8080 } }, { entryPoints: ["websecure"], certResolver: "letsencrypt" });
    assert.deepEqual(config.http!.routers![router], {
      rule: "Host(`web.pods.dev.localhost`)",
      service: router,
      entryPoints: ["websecure"],
      tls: { certResolver: "letsencrypt" },
    });
  });

  it("guardsAnHttpEntryWithAnIpAllowList", () => {
    const config = configOf({ default: { protocol: "http", port: 8080, ip_allow_list: ["10.0.0.0/8", "192.168.1.7"] } });
    assert.deepEqual(config.http!.routers![router]!.middlewares, [`${router}-ipallowlist`]);
    assert.deepEqual(config.http!.middlewares, { [`${router}-ipallowlist`]: { ipAllowList: { sourceRange: ["10.0.0.0/8", "192.168.1.7"] } } });
  });

  it("answersCorsAsConfiguredWithTheVaryHeaderWhenAsked", () => {
    const cors = {
      cors_allow_origins: ["https://front.example.org"],
      cors_allow_methods: ["GET", "POST"],
      cors_allow_headers: ["content-type", "x-tapis-token"],
      cors_allow_credentials: true,
      cors_max_age: 600,
    };
    const asked = configOf({ default: { protocol: "http", port: 8080, ...cors } });
    assert.deepEqual(asked.http!.routers![router]!.middlewares, [`${router}-cors`]);
    assert.deepEqual(asked.http!.middlewares![`${router}-cors`], {
      headers: {
        accessControlAllowOriginList: ["https://front.example.org"],
        accessControlAllowMethods: ["GET", "POST"],
        accessControlAllowHeaders: ["content-type", "x-tapis-token"],
        accessControlAllowCredentials: true,
        accessControlMaxAge: 600,
        addVaryHeader: true,
      },
    });
    const notAsked = configOf({ default: { protocol: "http", port: 8080, ...cors, cors_add_vary_header: false } });
    assert.equal((notAsked.http!.middlewares![`${router}-cors`] as { headers: { addVaryHeader: boolean } }).headers.addVaryHeader, false);
  });

  it("putsForwardAuthInFrontOfATapisAuthEntryAndRoutesItsLoginCallbackToTheApi", () => {
    const config = configOf({
      default: { protocol: "http", port: 8080, tapis_auth: true, tapis_auth_response_headers: { "X-Tapis-Username": "<<tapisusername>>", Internal: "x" } },
    });
    assert.deepEqual(config, {
      http: {
        routers: {
          [router]: { rule: "Host(`web.pods.dev.localhost`)", service: router, middlewares: [`${router}-auth`], tls: {} },
          [`${router}-auth-callback`]: { rule: "Host(`web.pods.dev.localhost`) && Path(`/v3/pods/web/auth/callback`)", service: "tapis-pods-api", tls: {} },
        },
        services: { [router]: service, "tapis-pods-api": { loadBalancer: { servers: [{ url: "http://pods-api:8000" }] } } },
        middlewares: {
          [`${router}-auth`]: {
            forwardAuth: { address: "http://pods-api:8000/v3/pods/web/auth?tenant_id=dev", authResponseHeaders: ["X-Tapis-Username", "Internal"] },
          },
        },
      },
    });
  });

  it("chainsIpAllowListThenCorsThenAuthSoPreflightsNeedNoLogin", () => {
    const config = configOf({
      default: { protocol: "http", port: 8080, tapis_auth: true, ip_allow_list: ["10.0.0.0/8"], cors_allow_origins: ["*"] },
    });
    assert.deepEqual(config.http!.routers![router]!.middlewares, [`${router}-ipallowlist`, `${router}-cors`, `${router}-auth`]);
    // The login callback is subject to the allow list too, never to the login itself.
    assert.deepEqual(config.http!.routers![`${router}-auth-callback`]!.middlewares, [`${router}-ipallowlist`]);
  });

  it("putsTheAccessGateInFrontOfAnEntryAndRoutesRedemptionsOnItsHostToTheApi", () => {
    const gated = { protocol: "http", port: 8080, access_gate: true, ip_allow_list: ["10.0.0.0/8"] };
    const config = configOf({ default: gated });
    assert.deepEqual(config, {
      http: {
        routers: {
          [router]: { rule: "Host(`web.pods.dev.localhost`)", service: router, middlewares: [`${router}-ipallowlist`, `${router}-gate`], tls: {} },
          // Redemptions reach the API on the pod's host, so the session cookie lands there; the allow list still applies.
          [`${router}-gate-redeem`]: { rule: "Host(`web.pods.dev.localhost`) && Path(`/v3/pods/web/gate/redeem`)", service: "tapis-pods-api", middlewares: [`${router}-ipallowlist`], tls: {} },
        },
        services: { [router]: service, "tapis-pods-api": { loadBalancer: { servers: [{ url: "http://pods-api:8000" }] } } },
        middlewares: {
          [`${router}-ipallowlist`]: { ipAllowList: { sourceRange: ["10.0.0.0/8"] } },
          [`${router}-gate`]: { forwardAuth: { address: "http://pods-api:8000/v3/pods/web/gate?tenant_id=dev", authResponseHeaders: ["X-Tapis-Gate-Code"] } },
        },
      },
    });
  });

  it("routesATcpEntryBySniAndEndsTlsAtTheProxy", () => {
    const config = configOf({ bolt: { protocol: "tcp", port: 7687, ip_allow_list: ["10.1.0.0/16"] } });
    const name = "pods-local-dev-web-bolt";
    assert.deepEqual(config, {
      tcp: {
        routers: { [name]: { rule: "HostSNI(`web-bolt.pods.dev.localhost`)", service: name, middlewares: [`${name}-ipallowlist`], tls: {} } },
        services: { [name]: { loadBalancer: { servers: [{ address: "pods-local-dev-web.pods.svc:7687" }] } } },
        middlewares: { [`${name}-ipallowlist`]: { ipAllowList: { sourceRange: ["10.1.0.0/16"] } } },
      },
    });
  });

  it("passesPostgresTlsThroughToThePod", () => {
    const config = configOf({ postgres: { protocol: "postgres", port: 5432 } });
    const name = "pods-local-dev-web-postgres";
    assert.deepEqual(config.tcp!.routers![name], { rule: "HostSNI(`web-postgres.pods.dev.localhost`)", service: name, tls: { passthrough: true } });
  });

  it("routesNothingForALocalOnlyEntry", () => {
    assert.deepEqual(configOf({ internal: { protocol: "local_only", port: 9000 } }), {});
  });

  it("routesEveryEntryOfAPodUnderTheDomainOfItsCluster", () => {
    const { routes } = edgeRoutesOfPod(
      routable({ default: { port: 7474 }, bolt: { protocol: "tcp", port: 7687 } }, { tenantId: "tacc", podId: "neo", domain: "tapis.example.org" }),
      site,
    );
    assert.deepEqual(
      routes.map((route) => [route.name, route.host, route.upstream]),
      [
        ["pods-local-tacc-neo-bolt", "neo-bolt.pods.tacc.tapis.example.org", "pods-local-tacc-neo.pods.svc:7687"],
        ["pods-local-tacc-neo-default", "neo.pods.tacc.tapis.example.org", "pods-local-tacc-neo.pods.svc:7474"],
      ],
    );
  });

  it("usesTheAddressConfiguredForAService", () => {
    const { routes } = edgeRoutesOfPod(routable({ default: { port: 8080 } }), { ...site, serviceAddresses: { "pods-local-dev-web.pods.svc:8080": "127.0.0.1:40123" } });
    assert.equal(routes[0]!.upstream, "127.0.0.1:40123");
  });
});

describe("edge routes of a pod whose entries break a rule", () => {
  const problemsOf = (networking: Record<string, NetworkingSpec>, at = {}, of: EdgeSite = site) => {
    const { routes, problems } = edgeRoutesOfPod(routable(networking, at), of);
    if (problems.length > 0) assert.deepEqual(routes, [], "a pod with a problem is left out whole");
    return problems;
  };

  it("leavesOutAPodWithAnAddressThatIsNoIpOrRange", () => {
    assert.deepEqual(problemsOf({ default: { port: 8080, ip_allow_list: ["10.0.0.0/8", "10.0.0.300"] } }), [
      "networking.default.ip_allow_list[1]: '10.0.0.300' is not an IP address or CIDR range",
    ]);
  });

  it("leavesOutAPodWhoseTenantCannotBePartOfAHostName", () => {
    assert.deepEqual(problemsOf({ default: { port: 8080 } }, { tenantId: "under_score" }), ["networking.default: tenant id 'under_score' cannot be part of a host name"]);
  });

  it("leavesOutATapisAuthEntryWhenTheProxyCannotReachTheApi", () => {
    assert.deepEqual(problemsOf({ default: { port: 8080, tapis_auth: true } }, {}, { ...site, apiUrl: undefined }), [
      "networking.default.tapis_auth: PODS_EDGE_API_URL is not set, so no proxy can ask the service who may pass",
    ]);
  });

  it("leavesOutAPodWhoseResponseHeaderCouldSplitARequest", () => {
    assert.deepEqual(problemsOf({ default: { port: 8080, tapis_auth: true, tapis_auth_response_headers: { "X-User": "a\r\nX-Admin: yes" } } }), [
      "networking.default.tapis_auth_response_headers.X-User: must not contain CR, LF or NUL and must be at most 1024 characters",
    ]);
  });

  it("leavesOutAnEntryAskingForAuthOnTcp", () => {
    assert.deepEqual(problemsOf({ bolt: { protocol: "tcp", port: 7687, tapis_auth: true } }), ["networking.bolt.tapis_auth: applies only to http entries"]);
  });

  it("leavesOutAReturnPathThatCouldLeadToAnotherSite", () => {
    assert.deepEqual(problemsOf({ default: { port: 8080, tapis_auth: true, tapis_auth_return_path: "//evil.example.org/" } }), [
      "networking.default.tapis_auth_return_path: must be a path starting with one '/', of letters, digits, '.', '_', '-' and '/', at most 180 characters",
    ]);
  });

  it("leavesOutAGatedEntryWhenTheProxyCannotReachTheApi", () => {
    const gated = { port: 8080, access_gate: true };
    assert.deepEqual(problemsOf({ default: gated }, {}, { ...site, apiUrl: undefined }), [
      "networking.default.access_gate: PODS_EDGE_API_URL is not set, so no proxy can ask the service who may pass",
    ]);
  });
});
