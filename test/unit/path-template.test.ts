import assert from "node:assert/strict";
import { PathTemplate, pathSegments } from "../../edge-gateway/routing/path-template.js";

describe("path templates", () => {
  const match = (template: string, path: string) => PathTemplate.parse(template).match(pathSegments(path)!);

  it("bindsSingleSegmentVariables", () => {
    assert.deepEqual(match("/v3/pods/{pod_id}/logs", "/v3/pods/docpod/logs"), { pod_id: "docpod" });
    assert.equal(match("/v3/pods/{pod_id}/logs", "/v3/pods/docpod"), null);
  });

  it("bindsTheRestOfThePathToADoubleStarVariable", () => {
    assert.deepEqual(match("/v3/pods/images/{image_id=**}", "/v3/pods/images/library/postgres:16"), { image_id: "library/postgres:16" });
    assert.equal(match("/v3/pods/images/{image_id=**}", "/v3/pods/images"), null);
  });

  it("decodesSegmentsAndCollapsesDoubleSlashes", () => {
    assert.deepEqual(match("/v3/pods/{pod_id}", "//v3/pods/a%20b/"), { pod_id: "a b" });
  });

  it("ranksLiteralsBeforeVariablesBeforeRestVariables", () => {
    const first = (a: string, b: string) => PathTemplate.compareSpecificity(PathTemplate.parse(a), PathTemplate.parse(b)) < 0;
    assert.ok(first("/v3/pods/templates", "/v3/pods/{pod_id}"));
    assert.ok(first("/v3/pods/images/{image_id=**}", "/v3/pods/{pod_id}/logs"));
    assert.ok(first("/v3/volumes/{volume_id}/files/{path=**}", "/v3/volumes/{volume_id}/files"));
    assert.ok(first("/v3/a/{b}", "/v3/a/{b=**}"));
  });
});
