import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";

/** The seed's examples of tapis_auth, CORS and TapisUI settings, together on one entry. */
const seedExample = {
  protocol: "http",
  port: 8080,
  tapis_auth: true,
  tapis_auth_response_headers: {
    "X-Tapis-Username": "<<tapisusername>>",
    "X-Tapis-Tenant": "<<tapistenantid>>",
    "X-Tapis-Site": "<<tapissiteid>>",
    "Flask-does-not-accept-underscores-in-headers": "tip#1",
    "pods_service_still_accepts-underscores-in-headers_though": "tip#2",
    "Lot-Of-Apps-Expect-Email-This-Works-For-Some": "<<tapisusername>>@domain.io",
    Internal: "<<tapisusername>>.<<tapistenantid>>.<<tapissiteid>>",
  },
  tapis_auth_allowed_users: ["superuser", "originaluser"],
  cors_allow_origins: ["https://myfrontend.pods.tacc.tapis.io", "https://myfrontendstaging.pods.tacc.tapis.io"],
  cors_allow_methods: ["GET", "POST", "OPTIONS", "DELETE", "PUT", "HEAD", "PATCH"],
  cors_allow_headers: ["content-type", "x-tapis-token", "TAPIS-VALIDATED-USERNAME"],
  cors_allow_credentials: false,
  cors_max_age: 100,
  tapis_ui_uri: "/admin",
  tapis_ui_uri_redirect: true,
  tapis_ui_uri_description: "Admin dashboard for monitoring pod metrics",
};

describe("networking fields: tapis_auth, CORS, ip_allow_list and TapisUI", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  it("keepsTheSeedsExampleAsWrittenWithDefaultsForWhatItLeavesOut", async () => {
    const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "seedpod", image: "nginx:1", networking: { default: seedExample } } });
    assert.equal(created.status, 200, created.body.message);
    const entry = (await svc.api("GET", "/v3/pods/seedpod", { token: alice })).body.result.networking.default;
    const { protocol, port, ...rest } = seedExample;
    assert.deepEqual(
      { ...entry },
      {
        protocol,
        port,
        url: "seedpod.pods.dev.localhost",
        ip_allow_list: [],
        ...rest,
        tapis_auth_return_path: "/",
        cors_add_vary_header: true,
        access_gate: false,
        access_gate_return_path: "/",
      },
    );
  });

  it("keepsCorsAddVaryHeaderOffWhenAskedAndTheAllowListAsGiven", async () => {
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: "novary", image: "nginx:1", networking: { default: { port: 8080, cors_allow_origins: ["*"], cors_add_vary_header: false, ip_allow_list: ["10.0.0.0/8", "2001:db8::/32", "192.168.7.1"] } } },
    });
    assert.equal(created.status, 200, created.body.message);
    assert.equal(created.body.result.networking.default.cors_add_vary_header, false);
    assert.deepEqual(created.body.result.networking.default.ip_allow_list, ["10.0.0.0/8", "2001:db8::/32", "192.168.7.1"]);
  });

  it("refusesEveryBrokenRuleNamingTheFieldAndStoresNothing", async () => {
    const answer = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: {
        pod_id: "brokenpod",
        image: "nginx:1",
        networking: {
          default: {
            port: 8080,
            ip_allow_list: ["10.0.0.0/33", "example.org"],
            tapis_auth: true,
            tapis_auth_response_headers: { "Bad Header": "x", "X.Dotted": "x", "Set-Cookie": "a=b", "X-Ok": "line\nbreak" },
            tapis_auth_allowed_users: ["(unclosed"],
            tapis_auth_return_path: "//evil.example.org",
            cors_allow_origins: ["https://ok.example.org/with/path"],
            cors_allow_methods: ["GET POST", "GE$T"],
            cors_allow_headers: ["bad header"],
            tapis_ui_uri: "admin",
          },
          db: { protocol: "tcp", port: 5432, tapis_auth: true, cors_allow_origins: ["*"] },
        },
      },
    });
    assert.equal(answer.status, 400);
    const expected = [
      "networking.default.ip_allow_list[0]: '10.0.0.0/33' is not an IP address or CIDR range",
      "networking.default.ip_allow_list[1]: 'example.org' is not an IP address or CIDR range",
      "networking.default.tapis_auth_response_headers.Bad Header: header names must be 1-128 letters, digits, '-' and '_'",
      "networking.default.tapis_auth_response_headers.X.Dotted: header names must be 1-128 letters, digits, '-' and '_'",
      "networking.default.tapis_auth_response_headers.Set-Cookie: is set by the proxy or the service and cannot be passed to the pod",
      "networking.default.tapis_auth_response_headers.X-Ok: must not contain CR, LF or NUL and must be at most 1024 characters",
      "networking.default.tapis_auth_allowed_users[0]: '(unclosed' is neither a username nor a valid regular expression",
      "networking.default.tapis_auth_return_path: must be a path starting with one '/', of letters, digits, '.', '_', '-' and '/', at most 180 characters",
      "networking.default.cors_allow_origins[0]: must be '*' or an origin such as https://app.example.org (scheme, host and port only)",
      "networking.default.cors_allow_methods[0]: must be an HTTP method such as GET",
      "networking.default.cors_allow_methods[1]: must be an HTTP method such as GET",
      "networking.default.cors_allow_headers[0]: must be '*' or a header name (letters, digits, '-' and '_')",
      "networking.default.tapis_ui_uri: must be empty or a path starting with '/', without spaces, at most 512 characters",
      "networking.db.tapis_auth: applies only to http entries",
      "networking.db.cors_allow_origins: applies only to http entries",
    ];
    for (const problem of expected) assert.ok(answer.body.message.includes(problem), `missing "${problem}" in: ${answer.body.message}`);
    assert.equal((await svc.api("GET", "/v3/pods/brokenpod", { token: alice })).status, 404);
  });

  it("refusesABrokenRuleOnUpdateAndKeepsThePodAsItWas", async () => {
    await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "keptpod", image: "nginx:1", networking: { default: { port: 8080, ip_allow_list: ["10.0.0.0/8"] } } } });
    const answer = await svc.api("PUT", "/v3/pods/keptpod", { token: alice, body: { networking: { default: { port: 8080, ip_allow_list: ["10.0.0.0/8", "nope"] } } } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, "networking.default.ip_allow_list[1]: 'nope' is not an IP address or CIDR range");
    const kept = await svc.api("GET", "/v3/pods/keptpod", { token: alice });
    assert.deepEqual(kept.body.result.networking.default.ip_allow_list, ["10.0.0.0/8"]);
  });
});
