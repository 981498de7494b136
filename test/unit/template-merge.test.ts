import assert from "node:assert/strict";
import { mergeOverTemplate } from "../../control-plane/templates/template-merge.js";

describe("merging a pod over its template", () => {
  const template = {
    image: "neo4j:5",
    environment_variables: { A: "1", B: "2" },
    volume_mounts: { "/data": { type: "tapisvolume", source_id: "shared" }, "/conf": { type: "ephemeral", config_content: "x" } },
    resources: { cpu_limit: 2000, mem_limit: 4096 },
    networking: { default: { protocol: "http", port: 7474 }, bolt: { protocol: "tcp", port: 7687 } },
  };

  it("letsThePodsOwnFieldsWin", () => {
    const merged = mergeOverTemplate(template, { image: "neo4j:4", description: "mine" });
    assert.equal(merged.image, "neo4j:4");
    assert.equal(merged.description, "mine");
  });

  it("mergesEnvironmentEntryByEntry", () => {
    assert.deepEqual(mergeOverTemplate(template, { environment_variables: { B: "20", C: "3" } }).environment_variables, { A: "1", B: "20", C: "3" });
  });

  it("removesAnInheritedMountSetToNull", () => {
    const merged = mergeOverTemplate(template, { volume_mounts: { "/conf": null } });
    assert.deepEqual(Object.keys(merged.volume_mounts!), ["/data"]);
  });

  it("mergesResourcesFieldByFieldButReplacesNetworking", () => {
    const merged = mergeOverTemplate(template, { resources: { cpu_limit: 500 }, networking: { default: { port: 8080 } } });
    assert.deepEqual(merged.resources, { cpu_limit: 500, mem_limit: 4096 });
    assert.deepEqual(merged.networking, { default: { port: 8080 } });
  });

  it("appliesTemplateOverridesInsideInheritedValues", () => {
    const merged = mergeOverTemplate(template, { template_overrides: { volume_mounts: { "/data": { source_id: "mine" } } } });
    assert.deepEqual(merged.volume_mounts!["/data"], { type: "tapisvolume", source_id: "mine" });
  });
});
