import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { hasOption, type DescMethod } from "@bufbuild/protobuf";
import { devIdentityServices, publicServices } from "../../edge-gateway/public-services.js";
import { RouteTable, type Route, type RouteMatch } from "../../edge-gateway/routing/route-table.js";
import { http } from "../../gen/google/api/annotations_pb.js";
import { assertValidTraefikConfig } from "../support/traefik-schema.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { uploadFile, waitForStorageStatus } from "../support/volume-files.js";
import { parseOpenApiOperations, referenceFiles, servedPrefixOf, type Spec, type SpecOperation } from "./openapi-operations.js";

/*
 * The REST contract of the reference OpenAPI specs: every operation is bound
 * to the RPC of the same name, the seed docs' extra curl paths and the login
 * endpoints are bound, and a running service answers every operation from a
 * bound route with the status its sample request deserves — or, for an area
 * not built yet, exactly 501. The operations come from
 * reference-operations.json (extracted by `npm run contract:extract`),
 * checked against the specs in the reference folder: when PODS_REQUIRE_REFERENCE
 * is 1 (CI), a missing folder fails instead of skipping.
 */

type Json = Record<string, any>;

const upstreamSpec = "pods-openapi-upstream-latest.yml";
const tapipySpec = "pods-openapi-tapipy-1.9.0.yml";
const podsSpecs = [
  { file: upstreamSpec, operationCount: 69 },
  { file: tapipySpec, operationCount: 62 },
];

const envelopeKeys = ["message", "metadata", "result", "status", "version"];
/** The operations whose binding answers with a bare body instead of the envelope: a configuration, or a file's bytes. */
const bareBodyOperations = new Set(["traefik_config", "get_volume_contents", "get_snapshot_contents"]);
/** What the sample volume's sample file holds; its snapshot holds the same. */
const sampleFileText = "select 1;\n";

/**
 * Operations of areas not built yet: each answers exactly 501 with the error
 * envelope. When an area is built its operations leave this list and get
 * their status in `expectedStatus`.
 */
const notBuiltYet = new Set<string>([
]);

/**
 * What every built operation answers to its sample request, sent by a
 * service administrator (who may call everything, so the answer shows what
 * the operation does, not who may call it) with the sample objects present.
 */
const expectedStatus: Record<string, number> = {
  healthcheck: 200,
  traefik_config: 200,
  pod_auth: 400, // the sample names no tenant_id (the edge puts it in the forward-auth address)
  pod_auth_callback: 400, // no code, no state
  ensure_jupyter_pod: 200,
  upload_to_jupyter: 400, // samplepod is no Jupyter pod
  error_handler: 200,
  list_templates: 200,
  get_template: 200,
  list_template_tags: 200,
  get_template_tag: 200,
  add_template: 400, // {} has no template_id
  list_templates_and_tags: 200,
  update_template: 400, // {} changes nothing
  delete_template: 409, // the sample pods run from neo4j
  add_template_tag: 400, // {} has no commit_message
  delete_template_tag: 409, // the sample pods are pinned to neo4j:latest
  get_template_permissions: 200,
  set_template_permission: 400, // {} names no user and no level
  delete_template_permission: 404, // built-in templates hold no grants
  save_pod_as_template_tag: 400, // {} names no template_id
  get_images: 200,
  add_image: 400, // {} names no image
  add_images: 200, // [] adds nothing
  get_image: 200, // library/postgres:16 is postgres:16, which the built-in template needs
  delete_image: 400, // the configuration allows postgres:16
  list_secrets: 200,
  create_secret: 400, // {} names no secret_id
  get_secret: 200,
  update_secret: 400, // {} changes nothing
  delete_secret: 200,
  get_secret_value: 200,
  list_pods: 200,
  create_pod: 400, // the sample body {} has no pod_id
  get_pod: 200,
  update_pod: 400, // {} changes nothing
  delete_pod: 200,
  get_derived_pod: 200,
  get_pod_credentials: 200,
  get_pod_logs: 200,
  get_pod_permissions: 200,
  set_pod_permission: 400, // {} names no user and no level
  exec_pod_commands: 400, // {} has no commands
  upload_to_pod: 200,
  delete_pod_permission: 200,
  stop_pod: 200,
  start_pod: 200,
  restart_pod: 200,
  list_volumes: 200,
  create_volume: 400, // {} has no volume_id
  get_volume: 200,
  update_volume: 400, // {} changes nothing
  delete_volume: 200,
  list_volume_files: 200,
  get_volume_contents: 200, // the bytes of data/file.sql
  upload_to_volume: 200,
  get_volume_permissions: 200,
  set_volume_permission: 400, // {} names no user and no level
  delete_volume_permission: 200,
  attach_pod_volumes: 400, // {} names no mount to attach
  list_snapshots: 200,
  create_snapshot: 400, // {} has no snapshot_id
  get_snapshot: 200,
  update_snapshot: 400, // {} changes nothing
  delete_snapshot: 200,
  list_snapshot_files: 200,
  get_snapshot_contents: 200, // the bytes of data/file.sql, copied from the sample volume
  get_snapshot_permissions: 200,
  set_snapshot_permission: 400, // {} names no user and no level
  delete_snapshot_permission: 200,
};

/** The objects the sample path values name; the live check creates them first. */
const samplePods = ["samplepod", "mypod"];
const samplePathValues: Record<string, string> = {
  image_id: "library/postgres:16",
  path: "data/file.sql",
  pod_id_net: "mypod-bolt",
  pod_id: "samplepod",
  template_id: "neo4j",
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
  return process.env.PODS_REFERENCE_DIR || resolve(repoRoot, "../shared/reference");
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
      assert.notEqual(process.env.PODS_REQUIRE_REFERENCE, "1", `no reference folder at ${folder}, and PODS_REQUIRE_REFERENCE=1 requires one; set PODS_REFERENCE_DIR`);
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
      const key = `${route.httpMethod} ${templateShape(route.template.source)}${route.queryFlag ? `?${route.queryFlag}=true` : ""}`;
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
  const match = routes.match(route.httpMethod, path, new URLSearchParams(route.queryFlag ? { [route.queryFlag]: "true" } : {}));
  return match.kind === "found" && match.route === route;
}

interface LiveAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** One request the live check sends: a spec operation or a seed docs' path, named by its operation. */
interface Probe {
  name: string;
  method: string;
  path: string;
  body: SpecOperation["body"];
}

/** The upstream operations and the seed docs' own paths, each under the name of the operation it performs. */
function liveProbes(): Probe[] {
  const upstream = loadSpec(upstreamSpec).operations;
  const byKey = new Map(upstream.map((operation) => [operationKey(operation), operation]));
  const seed = seedOnlyPaths.map(({ method, path, specOperation, rpc }): Probe => {
    const same = specOperation ? byKey.get(specOperation) : undefined;
    assert.ok(same || rpc, `the spec has no ${specOperation}`);
    return same ? { ...same, name: same.operationId, method, path } : { name: snakeName(rpc!), method, path, body: { kind: "json", sample: {} } };
  });
  return [...upstream.map((operation) => ({ ...operation, name: operation.operationId })), ...seed];
}

/** `AttachPodVolumes` → `attach_pod_volumes`. */
function snakeName(rpc: string): string {
  return rpc.replace(/[A-Z]/g, (letter, index: number) => (index > 0 ? "_" : "") + letter.toLowerCase());
}

/** Deletions last, deeper paths first, so the sample objects stay until every other operation has used them. */
function inSafeOrder(probes: Probe[]): Probe[] {
  const depth = (probe: Probe) => probe.path.split("/").length;
  const deletions = probes.filter((probe) => probe.method === "DELETE").sort((a, b) => depth(b) - depth(a));
  return [...probes.filter((probe) => probe.method !== "DELETE"), ...deletions];
}

describe("REST contract: every operation is either built or listed as not built yet", () => {
  it("namesEachOperationOnceAsNotBuiltYetOrWithItsExpectedStatus", () => {
    const names = new Set(liveProbes().map((probe) => probe.name));
    const failures = [
      ...[...names].filter((name) => notBuiltYet.has(name) === (name in expectedStatus)).map((name) => `${name}: ${notBuiltYet.has(name) ? "in both lists" : "in neither list"}`),
      ...[...notBuiltYet, ...Object.keys(expectedStatus)].filter((name) => !names.has(name)).map((name) => `${name}: no such operation`),
      ...Object.entries(expectedStatus).filter(([, status]) => status === 501).map(([name]) => `${name}: 501 belongs in notBuiltYet`),
    ];
    assertNoFailures(failures);
  });
});

describe("REST contract: a running service answers every upstream operation and seed docs path", () => {
  let svc: TestService;
  let token: string;

  before(async () => {
    svc = await startTestService();
    token = await svc.token("admin");
    const alice = await svc.token("alice");
    for (const podId of samplePods) {
      const created = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, template: "neo4j" } });
      assert.equal(created.status, 200, created.body.message);
      await svc.waitForStatus(alice, podId, "AVAILABLE");
    }
    const secret = await svc.api("POST", "/v3/pods/secrets", { token: alice, body: { secret_id: samplePathValues.secret_id, secret_value: "sample" } });
    assert.equal(secret.status, 200, secret.body.message);
    const shared = await svc.api("POST", `/v3/pods/${samplePathValues.pod_id}/permissions`, { token: alice, body: { user: samplePathValues.user, level: "READ" } });
    assert.equal(shared.status, 200, shared.body.message);
    await sampleVolume(svc, alice);
  });
  after(() => svc?.stop());

  it("answersEveryOperationWithItsExpectedStatusAndTheTapisEnvelope", async () => {
    const failures: string[] = [];
    for (const probe of inSafeOrder(liveProbes())) {
      const answer = await send(svc.baseUrl, token, probe);
      failures.push(...answerProblems(probe, answer).map((problem) => `${probe.method} ${probe.path} [${probe.name}]: ${problem}`));
    }
    assertNoFailures(failures);
  });
});

/** The sample volume and a snapshot of all of it, AVAILABLE, holding the sample path's file and shared with the sample user. */
async function sampleVolume(svc: TestService, token: string): Promise<void> {
  const volume = samplePathValues.volume_id;
  assert.equal((await svc.api("POST", "/v3/pods/volumes", { token, body: { volume_id: volume } })).status, 200);
  await waitForStorageStatus(svc.api, token, `/v3/pods/volumes/${volume}`, "AVAILABLE");
  assert.equal((await uploadFile(svc.baseUrl, token, `/v3/pods/volumes/${volume}/upload/${samplePathValues.path}`, Buffer.from(sampleFileText))).status, 200);
  assert.equal((await svc.api("POST", `/v3/pods/volumes/${volume}/permissions`, { token, body: { user: samplePathValues.user, level: "READ" } })).status, 200);
  const snapshot = samplePathValues.snapshot_id;
  const created = await svc.api("POST", "/v3/pods/snapshots", { token, body: { snapshot_id: snapshot, source_volume_id: volume, source_volume_path: "/" } });
  assert.equal(created.status, 200, created.body.message);
  await waitForStorageStatus(svc.api, token, `/v3/pods/snapshots/${snapshot}`, "AVAILABLE");
  assert.equal((await svc.api("POST", `/v3/pods/snapshots/${snapshot}/permissions`, { token, body: { user: samplePathValues.user, level: "READ" } })).status, 200);
}

async function send(baseUrl: string, token: string, probe: Probe): Promise<LiveAnswer> {
  const headers: Record<string, string> = { "X-Tapis-Token": token };
  let body: string | FormData | undefined;
  if (probe.body.kind === "json") {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(probe.body.sample);
  } else if (probe.body.kind === "multipart") {
    body = sampleForm(probe.body.formFields);
  }
  const response = await fetch(baseUrl + samplePath(probe.path).path, { method: probe.method, headers, body, redirect: "manual" });
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}

/** A small upload: the `file` part plus every other declared form field. */
function sampleForm(formFields: string[]): FormData {
  const form = new FormData();
  for (const name of formFields) {
    if (name === "file") form.append(name, new Blob([sampleFileText], { type: "text/plain" }), "hello.txt");
    else form.append(name, sampleFormValues[name] ?? "sample");
  }
  return form;
}

function answerProblems(probe: Probe, answer: LiveAnswer): string[] {
  const isJson = answer.contentType.split(";")[0]!.trim() === "application/json";
  let body: Json | undefined;
  if (isJson) {
    try {
      body = JSON.parse(answer.text) as Json;
    } catch {
      return [`${answer.status} with unparsable JSON: ${answer.text.slice(0, 200)}`];
    }
  }
  const message = body?.message;
  const said = `${answer.status}: ${String(message ?? answer.text.slice(0, 200))}`;
  if (notBuiltYet.has(probe.name)) {
    if (answer.status !== 501) return [`answered ${said}; expected 501 (not built yet) — if it is built now, move it from notBuiltYet to expectedStatus`];
    return errorEnvelopeProblems(body, /is not implemented|are not available in this version/);
  }
  const expected = expectedStatus[probe.name];
  if (answer.status !== expected) return [`answered ${said}; expected ${expected}`];
  if (probe.name === "traefik_config") return traefikSchemaProblems(body);
  if (bareBodyOperations.has(probe.name)) return answer.text === sampleFileText ? [] : [`answered ${JSON.stringify(answer.text.slice(0, 100))}, not the sample file's bytes`];
  if (!isJson) return [`${answer.status} answered ${answer.contentType || "no content type"}, not the JSON envelope`];
  const missing = envelopeKeys.filter((key) => !(key in body!));
  if (missing.length > 0) return [`${answer.status} JSON answer without envelope keys ${missing.join(", ")}: ${answer.text.slice(0, 200)}`];
  const outcome = answer.status < 400 ? "success" : "error";
  return body!.status === outcome ? [] : [`${answer.status} with envelope status ${JSON.stringify(body!.status)}, expected "${outcome}"`];
}

/** The Traefik configuration must be what Traefik v3 reads (when its schema is at hand). */
function traefikSchemaProblems(body: Json | undefined): string[] {
  try {
    assertValidTraefikConfig(body);
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

function errorEnvelopeProblems(body: Json | undefined, message: RegExp): string[] {
  if (!body) return ["501 without the JSON error envelope"];
  const problems = envelopeKeys.filter((key) => !(key in body)).map((key) => `501 envelope without ${key}`);
  if (body.status !== "error") problems.push(`501 with envelope status ${JSON.stringify(body.status)}`);
  if (body.result !== null) problems.push(`501 with a result: ${JSON.stringify(body.result).slice(0, 100)}`);
  if (typeof body.message !== "string" || !message.test(body.message)) problems.push(`501 message ${JSON.stringify(body.message)} does not say the operation is not built`);
  return problems;
}
