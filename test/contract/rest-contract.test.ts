import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { hasOption, type DescMethod } from "@bufbuild/protobuf";
import { devIdentityServices, publicServices } from "../../edge-gateway/public-services.js";
import { RouteTable, type Route, type RouteMatch } from "../../edge-gateway/routing/route-table.js";
import { http } from "../../gen/google/api/annotations_pb.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { parseOpenApiOperations, referenceFiles, servedPrefixOf, type Spec, type SpecOperation } from "./openapi-operations.js";

/*
 * The REST contract of the reference OpenAPI specs: every operation is bound
 * to the RPC of the same name, the seed docs' extra curl paths and the login
 * endpoints are bound, and a running service answers every operation from a
 * bound route. The operations come from reference-operations.json (extracted
 * by `npm run contract:extract`), checked against the specs where present.
 */

type Json = Record<string, any>;

const upstreamSpec = "pods-openapi-upstream-latest.yml";
const tapipySpec = "pods-openapi-tapipy-1.9.0.yml";
const podsSpecs = [
  { file: upstreamSpec, operationCount: 69 },
  { file: tapipySpec, operationCount: 62 },
];

const envelopeKeys = ["message", "metadata", "result", "status", "version"];
/** The one operation whose binding answers with a bare body instead of the envelope. */
const bareBodyOperations = new Set(["traefik_config"]);

const samplePathValues: Record<string, string> = {
  image_id: "library/postgres:16",
  path: "data/file.sql",
  pod_id_net: "mypod-bolt",
  pod_id: "samplepod",
  template_id: "sampletemplate",
  tag_id: "latest",
  snapshot_id: "samplesnapshot",
  volume_id: "samplevolume",
  secret_id: "samplesecret",
  user: "bob",
  status: "404",
};
const sampleFormValues: Record<string, string> = { dest_path: "/tmp/hello.txt", path: "hello.txt" };

/**
 * ENDPOINTS.md §2: paths only the seed docs show, with the spec operation that
 * does the same thing, or the RPC when no spec operation does.
 */
const seedOnlyPaths: { method: string; path: string; specOperation?: string; rpc?: string }[] = [
  { method: "POST", path: "/v3/volumes", specOperation: "POST /v3/pods/volumes" },
  { method: "POST", path: "/v3/pods/{pod_id}/volumes", rpc: "AttachPodVolumes" },
  { method: "GET", path: "/v3/volumes/{volume_id}/files", specOperation: "GET /v3/pods/volumes/{volume_id}/list" },
  { method: "POST", path: "/v3/volumes/{volume_id}/files/{path}", specOperation: "POST /v3/pods/volumes/{volume_id}/upload/{path}" },
  { method: "GET", path: "/v3/volumes/{volume_id}/files/{path}", specOperation: "GET /v3/pods/volumes/{volume_id}/contents/{path}" },
  { method: "POST", path: "/v3/snapshots", specOperation: "POST /v3/pods/snapshots" },
  { method: "GET", path: "/v3/snapshots/{snapshot_id}/files", specOperation: "GET /v3/pods/snapshots/{snapshot_id}/list" },
  { method: "GET", path: "/v3/snapshots/{snapshot_id}/files/{path}", specOperation: "GET /v3/pods/snapshots/{snapshot_id}/contents/{path}" },
];

/** The login calls of the docs and tapipy; these specs' paths already start with /v3. */
const loginOperations = [
  { file: "authenticator-openapi-tapipy-1.9.0.yml", method: "POST", path: "/v3/oauth2/tokens" },
  { file: "tenants-openapi-tapipy-1.9.0.yml", method: "GET", path: "/v3/tenants" },
  { file: "tenants-openapi-tapipy-1.9.0.yml", method: "GET", path: "/v3/sites" },
];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The reference folder: PODS_REFERENCE_DIR, or ../shared/reference beside the repository. */
function referenceDir(): string {
  return process.env.PODS_REFERENCE_DIR ?? resolve(repoRoot, "../shared/reference");
}

const extracted = JSON.parse(readFileSync(join(repoRoot, "test/contract/reference-operations.json"), "utf8")) as Record<string, Spec>;

function loadSpec(file: string): Spec {
  const spec = extracted[file];
  assert.ok(spec, `reference-operations.json has no ${file}; run npm run contract:extract`);
  return spec;
}

function operationKey(operation: { method: string; path: string }): string {
  return `${operation.method} ${operation.path}`;
}

/** `get_derived_pod` → `GetDerivedPod`. */
function rpcName(operationId: string): string {
  return operationId
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}

/** The path with every `{param}` replaced by its sample value, and the values a route should bind. */
function samplePath(template: string): { path: string; vars: Record<string, string> } {
  const vars: Record<string, string> = {};
  const path = template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = samplePathValues[name];
    assert.ok(value, `no sample value for path parameter {${name}} in ${template}`);
    vars[name] = value;
    return value;
  });
  return { path, vars };
}

function describeMiss(match: Exclude<RouteMatch, { kind: "found" }>): string {
  return match.kind === "wrong-method" ? `no route for this method (allowed: ${match.allowed.join(", ")})` : "no route";
}

function rpcLabel(method: DescMethod): string {
  return `${method.parent.typeName}.${method.name}`;
}

/** What is wrong with the binding of `method template`, expected to call `expectedRpc`. */
function bindingProblems(routes: RouteTable, method: string, template: string, expectedRpc: string): string[] {
  const { path, vars } = samplePath(template);
  const label = `${method} ${path}`;
  const match = routes.match(method, path);
  if (match.kind !== "found") return [`${label}: ${describeMiss(match)}, expected ${expectedRpc}`];
  const problems: string[] = [];
  if (match.route.method.name !== expectedRpc) problems.push(`${label}: bound to ${rpcLabel(match.route.method)}, expected ${expectedRpc}`);
  if (!isDeepStrictEqual(match.vars, vars)) problems.push(`${label}: binds ${JSON.stringify(match.vars)}, expected ${JSON.stringify(vars)}`);
  return problems;
}

function assertNoFailures(failures: string[]): void {
  assert.deepEqual(failures, [], `${failures.length} failure(s):\n  ${failures.join("\n  ")}`);
}

describe("REST contract: reference specs → route table", () => {
  const routes = new RouteTable([...publicServices]);

  it("usesTheOperationsOfTheReferenceSpecsAsTheyAreNow", function () {
    const folder = referenceDir();
    if (!existsSync(folder)) {
      console.log(`      (skipped: no reference folder at ${folder}; set PODS_REFERENCE_DIR to check the extracted operations)`);
      this.skip();
    }
    for (const file of referenceFiles) {
      const current = parseOpenApiOperations(readFileSync(join(folder, file), "utf8"), servedPrefixOf(file));
      assert.deepEqual(JSON.parse(JSON.stringify(current)), loadSpec(file), `${file} differs from reference-operations.json; run npm run contract:extract`);
    }
  });

  it("keepsEveryDeclaredOperationWhenRepeatedYamlKeysCollapse", () => {
    const failures = podsSpecs.flatMap(({ file }) => {
      const spec = loadSpec(file);
      const kept = new Map(spec.operations.map((operation) => [operationKey(operation), operation.operationId]));
      return spec.declared
        .filter(({ key, operationId }) => kept.get(key) !== operationId)
        .map(({ key, operationId }) => `${file}: ${key} (${operationId}) lost; kept ${kept.get(key) ?? "nothing"}`);
    });
    assertNoFailures(failures);
  });

  for (const { file, operationCount } of podsSpecs) {
    it(`bindsEveryOperationOf ${file} to the RPC named after its operationId`, () => {
      const { operations } = loadSpec(file);
      assert.equal(operations.length, operationCount, `${file}: operation count`);
      const failures = operations.flatMap((operation) =>
        bindingProblems(routes, operation.method, operation.path, rpcName(operation.operationId)).map((problem) => `${problem} [${operation.operationId}]`),
      );
      assertNoFailures(failures);
    });
  }

  it("bindsTheSeedDocsCurlPathsToTheRpcsOfTheSameActions", () => {
    const upstream = new Map(loadSpec(upstreamSpec).operations.map((operation) => [operationKey(operation), operation.operationId]));
    const failures = seedOnlyPaths.flatMap(({ method, path, specOperation, rpc }) => {
      const specOperationId = specOperation && upstream.get(specOperation);
      if (specOperation && !specOperationId) return [`${method} ${path}: the spec has no ${specOperation}`];
      return bindingProblems(routes, method, path, specOperationId ? rpcName(specOperationId) : rpc!);
    });
    assertNoFailures(failures);
  });

  it("bindsTheLoginEndpointsOfTheDocsAndTapipy", () => {
    const loginRoutes = new RouteTable([...publicServices, ...devIdentityServices]);
    const failures = loginOperations.flatMap(({ file, method, path }) => {
      const operation = loadSpec(file).operations.find((candidate) => operationKey(candidate) === `${method} ${path}`);
      if (!operation) return [`${file} has no ${method} ${path}`];
      return bindingProblems(loginRoutes, method, path, rpcName(operation.operationId));
    });
    assertNoFailures(failures);
  });
});

describe("REST contract: route table sanity", () => {
  const servedServices = [...publicServices, ...devIdentityServices];
  const routes = new RouteTable(servedServices);

  it("hasNoTwoRoutesWithTheSameMethodAndPathTemplate", () => {
    const seen = new Map<string, Route>();
    const failures: string[] = [];
    for (const route of routes.routes) {
      const key = `${route.httpMethod} ${templateShape(route.template.source)}`;
      const earlier = seen.get(key);
      if (earlier) failures.push(`${key}: ${rpcLabel(earlier.method)} and ${rpcLabel(route.method)}`);
      else seen.set(key, route);
    }
    assertNoFailures(failures);
  });

  it("reachesEveryAnnotatedRpcThroughAtLeastOneRoute", () => {
    const failures = servedServices
      .flatMap((service) => service.methods)
      .filter((method) => hasOption(method, http))
      .filter((method) => !routes.routes.some((route) => route.method === method && winsItsOwnPath(routes, route)))
      .map((method) => `${rpcLabel(method)}: no route reaches it`);
    assertNoFailures(failures);
  });
});

/** The template with variable names erased: two templates of one shape match the same paths. */
function templateShape(template: string): string {
  return template.replace(/\{[^}=]+=\*\*\}/g, "{**}").replace(/\{[^}=]+(=\*)?\}/g, "{*}");
}

function winsItsOwnPath(routes: RouteTable, route: Route): boolean {
  const path = route.template.source.replace(/\{([^}=]+)(=\*\*)?\}/g, (_, name: string, rest?: string) => (rest ? `x-${name}/y` : `x-${name}`));
  const match = routes.match(route.httpMethod, path);
  return match.kind === "found" && match.route === route;
}

interface LiveAnswer {
  status: number;
  contentType: string;
  text: string;
}

describe("REST contract: a running service answers every upstream operation", () => {
  let svc: TestService;
  let token: string;

  before(async () => {
    svc = await startTestService();
    token = await svc.token("alice");
  });
  after(() => svc?.stop());

  it("answersFromABoundRouteWithTheTapisEnvelope", async () => {
    const failures: string[] = [];
    for (const operation of loadSpec(upstreamSpec).operations) {
      const answer = await send(svc.baseUrl, token, operation);
      failures.push(...answerProblems(operation, answer).map((problem) => `${operation.method} ${operation.path} [${operation.operationId}]: ${problem}`));
    }
    assertNoFailures(failures);
  });
});

async function send(baseUrl: string, token: string, operation: SpecOperation): Promise<LiveAnswer> {
  const headers: Record<string, string> = { "X-Tapis-Token": token };
  let body: string | FormData | undefined;
  if (operation.body.kind === "json") {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(operation.body.sample);
  } else if (operation.body.kind === "multipart") {
    body = sampleForm(operation.body.formFields);
  }
  const response = await fetch(baseUrl + samplePath(operation.path).path, { method: operation.method, headers, body, redirect: "manual" });
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}

/** A small upload: the `file` part plus every other declared form field. */
function sampleForm(formFields: string[]): FormData {
  const form = new FormData();
  for (const name of formFields) {
    if (name === "file") form.append(name, new Blob(["hello\n"], { type: "text/plain" }), "hello.txt");
    else form.append(name, sampleFormValues[name] ?? "sample");
  }
  return form;
}

function answerProblems(operation: SpecOperation, answer: LiveAnswer): string[] {
  const isJson = answer.contentType.split(";")[0]!.trim() === "application/json";
  let body: unknown;
  if (isJson) {
    try {
      body = JSON.parse(answer.text);
    } catch {
      return [`${answer.status} with unparsable JSON: ${answer.text.slice(0, 200)}`];
    }
  }
  const message = (body as Json | undefined)?.message;
  if (answer.status === 405) return [`405 (wrong method): ${String(message)}`];
  if (answer.status === 404 && typeof message === "string" && message.startsWith("no such endpoint")) return [`404 route miss: ${message}`];
  // 501 is a bound RPC not built yet; any other 5xx is a fault, never an answer to a client's request.
  if (answer.status >= 500 && answer.status !== 501) return [`${answer.status}: ${String(message)}`];
  if (!isJson || bareBodyOperations.has(operation.operationId)) return [];
  const missing = envelopeKeys.filter((key) => typeof body !== "object" || body === null || !(key in body));
  return missing.length > 0 ? [`${answer.status} JSON answer without envelope keys ${missing.join(", ")}: ${answer.text.slice(0, 200)}`] : [];
}
