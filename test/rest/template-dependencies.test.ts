import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

const none = { dependant_pods: [], dependant_pod_count: 0, dependant_tags: [], dependant_tags_count: 0 };

describe("template dependencies: who uses each tag version", () => {
  let svc: TestService;
  let alice: string;
  let admin: string;
  let other: TrustedTenant;
  /** Versions of base, by name: "v1old", "v1new", "latest". */
  const versions: Record<string, string> = {};

  before(async () => {
    other = await trustedTenant("other");
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    admin = await svc.token("admin");
    const api = (method: string, path: string, body?: Json) => svc.api(method, path, { token: alice, body });
    const ok = async (answer: Promise<{ status: number; body: Json }>) => {
      const done = await answer;
      assert.equal(done.status, 200, done.body.message);
      return done.body.result;
    };
    const tag = (template: string, body: Json) => ok(api("POST", `/v3/pods/templates/${template}/tags`, { commit_message: "x", ...body }));
    await ok(api("POST", "/v3/pods/templates", { template_id: "base" }));
    versions.v1old = (await tag("base", { tag: "v1", pod_definition: { image: "nginx:1" } })).tag_timestamp;
    versions.v1new = (await tag("base", { tag: "v1", pod_definition: { image: "nginx:1.27" } })).tag_timestamp;
    versions.latest = (await tag("base", { pod_definition: { image: "nginx:1" } })).tag_timestamp;
    // Pods pin the version they resolve to: base:v1 is v1's newest version, base is latest's.
    await ok(api("POST", "/v3/pods", { pod_id: "onv1", template: "base:v1", status_requested: "OFF" }));
    await ok(api("POST", "/v3/pods", { pod_id: "onlatest", template: "base", status_requested: "OFF" }));
    await ok(api("POST", "/v3/pods", { pod_id: "onold", template: `base:${versions.v1old}`, status_requested: "OFF" }));
    // Tags build on a base as they resolve it now: by tag, its newest version; by timestamp, that one.
    await ok(api("POST", "/v3/pods/templates", { template_id: "child" }));
    versions.child = (await tag("child", { pod_definition: { template: "base:v1", description: "built on v1" } })).tag_timestamp;
    versions.pinnedchild = (await tag("child", { tag: "pinned", pod_definition: { template: `base:${versions.v1old}` } })).tag_timestamp;
  });
  after(() => svc.stop());

  const dependentsByVersion = (result: Json[]) => Object.fromEntries(result.map((tag) => [tag.tag_timestamp, tag.dependents]));

  it("listsEachVersionsPodsAndTagsWithIncludeDependencies", async () => {
    const answer = await svc.api("GET", "/v3/pods/templates/base/tags?include_dependencies=true", { token: alice });
    assert.equal(answer.status, 200, answer.body.message);
    assert.deepEqual(dependentsByVersion(answer.body.result), {
      [versions.latest!]: { dependant_pods: ["onlatest"], dependant_pod_count: 1, dependant_tags: [], dependant_tags_count: 0 },
      [versions.v1new!]: { dependant_pods: ["onv1"], dependant_pod_count: 1, dependant_tags: [`child:${versions.child}`], dependant_tags_count: 1 },
      [versions.v1old!]: { dependant_pods: ["onold"], dependant_pod_count: 1, dependant_tags: [`child:${versions.pinnedchild}`], dependant_tags_count: 1 },
    });

    const one = await svc.api("GET", "/v3/pods/templates/base/tags/v1?include_dependencies=true", { token: alice });
    assert.equal(one.status, 200, one.body.message);
    assert.deepEqual(Object.keys(dependentsByVersion(one.body.result)), [versions.v1new, versions.v1old]);
    const newestOnly = await svc.api("GET", "/v3/pods/templates/base/tags?full=false&include_dependencies=true", { token: alice });
    assert.deepEqual(dependentsByVersion(newestOnly.body.result)[versions.v1new!].dependant_pods, ["onv1"]);
    const everything = await svc.api("GET", "/v3/pods/templates/tags?include_dependencies=true", { token: alice });
    assert.deepEqual(dependentsByVersion(everything.body.result.base.tags), dependentsByVersion(answer.body.result));
    assert.deepEqual(dependentsByVersion(everything.body.result.child.tags), { [versions.child!]: none, [versions.pinnedchild!]: none });
  });

  it("leavesDependentsOutUnlessAskedFor", async () => {
    for (const path of ["/v3/pods/templates/base/tags", "/v3/pods/templates/base/tags/v1", "/v3/pods/templates/base/tags?include_dependencies=false"]) {
      const answer = await svc.api("GET", path, { token: alice });
      assert.ok(answer.body.result.every((tag: Json) => tag.dependents === null), path);
    }
    const everything = await svc.api("GET", "/v3/pods/templates/tags", { token: alice });
    assert.ok(everything.body.result.base.tags.every((tag: Json) => tag.dependents === null));
  });

  it("countsPodsOfOtherTenantsWithoutNamingThem", async () => {
    assert.equal((await svc.api("POST", "/v3/pods/templates/base/permissions", { token: admin, body: { user: "tenant.other", level: "READ" } })).status, 200);
    const carol = await other.token("carol");
    const theirs = await svc.api("POST", "/v3/pods", { token: carol, body: { pod_id: "theirs", template: "base", status_requested: "OFF" } });
    assert.equal(theirs.status, 200, theirs.body.message);
    const answer = await svc.api("GET", "/v3/pods/templates/base/tags/latest?include_dependencies=true", { token: alice });
    assert.deepEqual(answer.body.result[0].dependents, { dependant_pods: ["onlatest"], dependant_pod_count: 2, dependant_tags: [], dependant_tags_count: 0 });
    assert.equal((await svc.api("DELETE", "/v3/pods/theirs", { token: carol })).status, 200);
  });

  it("refusesDependenciesToUsersWithoutAdminOnTheTemplateWith403", async () => {
    assert.equal((await svc.api("POST", "/v3/pods/templates/base/permissions", { token: alice, body: { user: "bob", level: "USER" } })).status, 200);
    const bob = await svc.token("bob");
    for (const path of ["/v3/pods/templates/base/tags?include_dependencies=true", "/v3/pods/templates/base/tags/v1?include_dependencies=true"]) {
      const answer = await svc.api("GET", path, { token: bob });
      assert.equal(answer.status, 403, path);
      assert.equal(answer.body.message, "ADMIN permission on template 'base' is required; you have USER");
    }
    const everything = await svc.api("GET", "/v3/pods/templates/tags?include_dependencies=true", { token: bob });
    assert.equal(everything.status, 200);
    assert.ok(everything.body.result.base.tags.every((tag: Json) => tag.dependents === null), "bob administers no template he reads");
  });

  it("refusesToDeleteAVersionStillUsedNamingWhoUsesIt", async () => {
    const old = await svc.api("DELETE", `/v3/pods/templates/base/tags/${encodeURIComponent(versions.v1old!)}`, { token: alice });
    assert.equal(old.status, 409);
    assert.equal(old.body.message, `template tag 'base:${versions.v1old}' is used by pods: onold and by templates: child`);
  });

  it("archivesATemplateStillInUseAndSaysWhoUsesIt", async () => {
    const archived = await svc.api("PUT", "/v3/pods/templates/base", { token: alice, body: { archive_message: "moved to base2" } });
    assert.equal(archived.status, 200, archived.body.message);
    assert.equal(archived.body.result.archive_message, "moved to base2");
    assert.equal(
      archived.body.message,
      "Template updated successfully. It is archived: no new pod may use it; pods and templates already using it keep it. Still used by pods: onlatest, onold, onv1 and by templates: child.",
    );
    const unused = await svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "lonely" } });
    assert.equal(unused.status, 200);
    const quiet = await svc.api("PUT", "/v3/pods/templates/lonely", { token: alice, body: { archive_message: "old" } });
    assert.equal(quiet.body.message, "Template updated successfully. It is archived: no new pod may use it; pods and templates already using it keep it. Nothing uses it now.");
  });
});
