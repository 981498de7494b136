import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { parse as parseYaml } from "yaml";
import { publicServices } from "../../edge-gateway/public-services.js";
import { RouteTable } from "../../edge-gateway/routing/route-table.js";
import { startTestService, type TestService } from "../support/test-service.js";
import type { Spec } from "./openapi-operations.js";

type Json = Record<string, any>;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const reference = JSON.parse(readFileSync(join(repoRoot, "test", "contract", "reference-operations.json"), "utf8")) as Record<string, Spec>;

/** The OpenAPI document the gateway serves, generated from the proto contract. */
describe("served OpenAPI document and docs page", () => {
  let svc: TestService;
  let doc: Json;

  before(async () => {
    svc = await startTestService();
    const response = await fetch(`${svc.baseUrl}/v3/pods/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    doc = (await response.json()) as Json;
  });
  after(() => svc.stop());

  it("isAValidOpenApi31Document", async () => {
    assert.match(doc.openapi, /^3\.1\./);
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
  });

  it("listsEveryRestOperationTheGatewayRoutes", () => {
    const routes = new RouteTable(publicServices).routes;
    const missing = routes
      .map((route) => ({ method: route.httpMethod.toLowerCase(), path: route.template.source.replace(/\{([a-z_]+)=\*\*\}/g, "{$1}") }))
      .filter(({ method, path }) => !doc.paths[path]?.[method]);
    assert.deepEqual(missing, []);
  });

  it("usesTheUpstreamOperationIdsAndTags", () => {
    for (const operation of reference["pods-openapi-upstream-latest.yml"]!.operations) {
      const served = doc.paths[`/v3${operation.path}`.replace(/^\/v3\/v3/, "/v3")]?.[operation.method.toLowerCase()] ?? doc.paths[operation.path]?.[operation.method.toLowerCase()];
      assert.ok(served, `${operation.method} ${operation.path} is missing`);
      assert.equal(served.operationId, operation.operationId, `${operation.method} ${operation.path}`);
    }
    assert.deepEqual(doc.paths["/v3/pods/{pod_id}/permissions"].get.tags, ["Permissions"]);
    assert.deepEqual(doc.paths["/v3/pods/{pod_id}"].get.tags, ["Pods"]);
  });

  it("describesFieldsTheirTypesAndTheEnvelope", () => {
    const getPod = doc.paths["/v3/pods/{pod_id}"].get;
    const ok = getPod.responses["200"].content["application/json"].schema;
    const envelope = ok.allOf ? ok.allOf : [ok];
    assert.ok(JSON.stringify(envelope).includes("#/components/schemas/"), JSON.stringify(ok));
    const pod = doc.components.schemas["tapis.pods.v1.Pod"];
    assert.equal(pod.properties.status.type, "string");
    assert.ok(pod.properties.status.enum.includes("AVAILABLE"));
    assert.match(pod.properties.pod_id.description ?? "", /\w/);
    for (const status of ["400", "401", "403", "404"]) assert.ok(getPod.responses[status], `get_pod lacks ${status}`);
  });

  it("describesRangeRequestsOfFileDownloadsAsHeadersAndTheirAnswers", () => {
    for (const path of ["/v3/pods/volumes/{volume_id}/contents/{path}", "/v3/volumes/{volume_id}/files/{path}", "/v3/pods/snapshots/{snapshot_id}/contents/{path}", "/v3/snapshots/{snapshot_id}/files/{path}"]) {
      const operation = doc.paths[path].get;
      const parameters = operation.parameters as { name: string; in: string }[];
      assert.deepEqual(
        parameters.filter((p) => p.in === "header").map((p) => p.name),
        ["Range", "If-Range", "If-None-Match"],
        path,
      );
      assert.deepEqual(
        parameters.filter((p) => p.in === "query").map((p) => p.name),
        ["zip"],
        `${path}: the header fields are no query parameters`,
      );
      for (const status of ["200", "206"]) {
        assert.deepEqual(Object.keys(operation.responses[status].headers ?? {}).sort(), ["Accept-Ranges", "Content-Length", "ETag"].concat(status === "206" ? ["Content-Range"] : []).sort(), `${path} ${status}`);
        assert.ok(operation.responses[status].content["application/octet-stream"], `${path} ${status}`);
      }
      assert.ok(operation.responses["304"].headers.ETag, `${path} 304`);
      assert.ok(operation.responses["416"].headers["Content-Range"], `${path} 416`);
    }
    assert.equal(doc.paths["/v3/pods/{pod_id}"].get.responses["206"], undefined, "only downloads answer ranges");
  });

  it("servesTheSameDocumentAsYaml", async () => {
    const response = await fetch(`${svc.baseUrl}/v3/pods/openapi.yaml`);
    assert.equal(response.status, 200);
    assert.deepEqual(parseYaml(await response.text()), doc);
  });

  it("servesTheDocsPageFromThePackage", async () => {
    const page = await fetch(`${svc.baseUrl}/v3/pods/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /swagger-ui/);
    assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\//i, "the page must not load anything from elsewhere");
    const script = html.match(/src="([^"]*swagger-ui-bundle\.js)"/)?.[1];
    assert.ok(script, html.slice(0, 500));
    assert.equal((await fetch(new URL(script, `${svc.baseUrl}/v3/pods/docs`))).status, 200);
  });

  it("reservesDocsAsAPodId", async () => {
    const answer = await svc.api("POST", "/v3/pods", { token: await svc.token("alice"), body: { pod_id: "docs", image: "busybox" } });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /pod_id: 'docs' is reserved/);
  });
});
