import assert from "node:assert/strict";
import { readEmbeddedConfig } from "../../embedded/config.js";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.equal(answer.body.result, null);
  assert.match(answer.body.message, pattern);
}

const notAllowed = (image: string, tenant = "dev") =>
  new RegExp(`^image: '${image.replace(/[.*/]/g, (c) => `\\${c}`)}' is not on the image allowlist of tenant '${tenant}'; a service administrator can allow it with POST /v3/pods/images`);

/** The image allowlist: which images pods may run, per tenant, kept by service administrators. */
describe("the image allowlist", () => {
  let svc: TestService;
  let alice: string;
  let admin: string;
  let other: TrustedTenant;
  let carol: string;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    admin = await svc.token("admin");
    carol = await other.token("carol");
  });
  after(() => svc.stop());

  const api = (token: string, method: string, path: string, body?: unknown) => svc.api(method, path, { token, body });
  const createPod = (token: string, podId: string, image: string) => api(token, "POST", "/v3/pods", { pod_id: podId, image });

  describe("the embedded default", () => {
    it("allowsTheBuiltInTemplatesImagesAndDockerOfficialImages", async () => {
      const listed = await api(alice, "GET", "/v3/pods/images");
      assert.equal(listed.status, 200);
      const configured = listed.body.result.filter((i: { added_by: string }) => i.added_by === "PODS_ALLOWED_IMAGES");
      assert.deepEqual(configured.map((i: { image: string }) => i.image), ["neo4j:5.26", "postgres:16", "quay.io/jupyter/base-notebook:2025-01-06", "docker.io/library/*"]);
      assert.ok(configured.every((i: { tenants: string[] }) => i.tenants.join() === "*"));
      assert.equal((await api(alice, "POST", "/v3/pods", { pod_id: "fromtemplate", template: "neo4j" })).status, 200);
      assert.equal((await createPod(alice, "officialimage", "busybox:1")).status, 200);
      assert.equal((await createPod(alice, "qualified", "docker.io/library/nginx:1.27")).status, 200);
    });

    it("refusesAnyOtherImageNamingItAndHowToGetItAllowed", async () => {
      assertRefused(await createPod(alice, "notallowed", "ghcr.io/acme/app:1"), 400, notAllowed("ghcr.io/acme/app:1"));
      assertRefused(await createPod(alice, "notallowed", "ollama/ollama:latest"), 400, notAllowed("ollama/ollama:latest"));
      assert.equal((await api(alice, "GET", "/v3/pods/notallowed")).status, 404, "nothing is stored");
    });

    it("refusesAnInvalidSettingNamingTheVariable", () => {
      assert.throws(() => readEmbeddedConfig({ PODS_DATA_DIR: "/tmp/unused", PODS_ALLOWED_IMAGES: "nginx,Not An Image" }), /PODS_ALLOWED_IMAGES.*"Not An Image"/);
    });
  });

  describe("add_image, get_image and delete_image", () => {
    it("addsATenantScopedRepositoryThatAllowsEveryTag", async () => {
      const added = await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/acme/app", description: "Acme's app" });
      assert.equal(added.status, 200, added.body.message);
      assert.equal(added.body.message, "Image added successfully.");
      assert.equal(added.body.result.image, "ghcr.io/acme/app");
      assert.deepEqual(added.body.result.tenants, ["dev"], "without tenants, the administrator's own tenant");
      assert.equal(added.body.result.description, "Acme's app");
      assert.equal(added.body.result.added_by, "admin");
      assert.ok(Date.parse(added.body.result.creation_ts) > 0);
      assert.equal((await createPod(alice, "acmeone", "ghcr.io/acme/app:1")).status, 200);
      assert.equal((await createPod(alice, "acmetwo", "ghcr.io/acme/app@sha256:" + "a".repeat(64))).status, 200);
      assertRefused(await createPod(carol, "acmecarol", "ghcr.io/acme/app:1"), 400, notAllowed("ghcr.io/acme/app:1", "other"));
    });

    it("allowsOnlyTheTagOfAnEntryThatNamesOne", async () => {
      assert.equal((await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/acme/tool:2", tenants: ["*"] })).status, 200);
      assert.equal((await createPod(carol, "toolok", "ghcr.io/acme/tool:2")).status, 200);
      assertRefused(await createPod(carol, "toolthree", "ghcr.io/acme/tool:3"), 400, notAllowed("ghcr.io/acme/tool:3", "other"));
    });

    it("allowsEveryImageUnderAPrefix", async () => {
      assert.equal((await api(admin, "POST", "/v3/pods/images", { image: "quay.io/lab/*", tenants: ["*"] })).status, 200);
      assert.equal((await createPod(carol, "labone", "quay.io/lab/one:1")).status, 200);
      assert.equal((await createPod(alice, "labtwo", "quay.io/lab/tools/two")).status, 200);
      assertRefused(await createPod(alice, "labother", "quay.io/other/one:1"), 400, notAllowed("quay.io/other/one:1"));
    });

    it("getsAnImageWhoseIdHoldsSlashes", async () => {
      const found = await api(alice, "GET", "/v3/pods/images/ghcr.io/acme/app");
      assert.equal(found.status, 200, found.body.message);
      assert.equal(found.body.result.image, "ghcr.io/acme/app");
      assert.equal((await api(alice, "GET", "/v3/pods/images/library/postgres:16")).body.result.image, "postgres:16", "spellings of one image are one entry");
      assertRefused(await api(carol, "GET", "/v3/pods/images/ghcr.io/acme/app"), 404, /^image 'ghcr\.io\/acme\/app' not found$/);
      assertRefused(await api(alice, "GET", "/v3/pods/images/ghcr.io/nosuch/app"), 404, /^image 'ghcr\.io\/nosuch\/app' not found$/);
    });

    it("refusesAnImageAlreadyAllowedWith409", async () => {
      assertRefused(await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/acme/app" }), 409, /^image 'ghcr\.io\/acme\/app' already exists$/);
      assertRefused(await api(admin, "POST", "/v3/pods/images", { image: "docker.io/library/postgres:16" }), 409, /^image 'docker\.io\/library\/postgres:16' already exists$/);
    });

    it("refusesBadInputNamingTheField", async () => {
      assertRefused(await api(admin, "POST", "/v3/pods/images", {}), 400, /^image: is required$/);
      assertRefused(await api(admin, "POST", "/v3/pods/images", { image: "Not An Image" }), 400, /^image: must be an image reference such as registry\/name:tag, or a prefix ending in \*/);
      assertRefused(await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/*/x" }), 400, /^image: must be an image reference/);
      assertRefused(await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/ok", tenants: ["dev", "not a tenant"] }), 400, /^tenants\[1\]: must be \* or a tenant id/);
      assertRefused(await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/ok", colour: "red" }), 400, /^colour: unknown field$/);
      assert.equal((await api(admin, "GET", "/v3/pods/images/ghcr.io/ok")).status, 404, "nothing is stored");
    });

    it("deletesAnEntryButNotOneTheConfigurationMakes", async () => {
      await api(admin, "POST", "/v3/pods/images", { image: "ghcr.io/acme/old" });
      const deleted = await api(admin, "DELETE", "/v3/pods/images/ghcr.io/acme/old");
      assert.equal(deleted.status, 200, deleted.body.message);
      assert.equal(deleted.body.message, "Image deleted successfully.");
      assertRefused(await api(admin, "GET", "/v3/pods/images/ghcr.io/acme/old"), 404, /not found/);
      assertRefused(await createPod(alice, "acmeold", "ghcr.io/acme/old:1"), 400, notAllowed("ghcr.io/acme/old:1"));
      assertRefused(await api(admin, "DELETE", "/v3/pods/images/ghcr.io/acme/old"), 404, /^image 'ghcr\.io\/acme\/old' not found$/);
      assertRefused(await api(admin, "DELETE", "/v3/pods/images/postgres:16"), 400, /^image 'postgres:16' is allowed by the configuration \(PODS_ALLOWED_IMAGES\); change the setting to remove it$/);
    });
  });

  describe("add_images", () => {
    it("addsSeveralAtOnceAndSkipsDuplicatesOnlyWhenAsked", async () => {
      const added = await api(admin, "POST", "/v3/pods/images/bulk", [{ image: "bulk.io/one" }, { image: "bulk.io/two", tenants: ["*"] }]);
      assert.equal(added.status, 200, added.body.message);
      assert.deepEqual(added.body.result.map((i: { image: string }) => i.image), ["bulk.io/one", "bulk.io/two"]);
      assertRefused(await api(admin, "POST", "/v3/pods/images/bulk", [{ image: "bulk.io/three" }, { image: "bulk.io/one" }]), 409, /^image 'bulk\.io\/one' already exists$/);
      assert.equal((await api(admin, "GET", "/v3/pods/images/bulk.io/three")).status, 404, "all or nothing");
      const skipping = await api(admin, "POST", "/v3/pods/images/bulk?skip_duplicates=true", [{ image: "bulk.io/three" }, { image: "bulk.io/one" }, { image: "bulk.io/three" }]);
      assert.equal(skipping.status, 200, skipping.body.message);
      assert.deepEqual(skipping.body.result.map((i: { image: string }) => i.image), ["bulk.io/three"]);
      assertRefused(await api(admin, "POST", "/v3/pods/images/bulk", [{ image: "ok.io/x" }, { image: "" }]), 400, /^images\[1\]\.image: is required$/);
    });
  });

  describe("templates", () => {
    it("refusesATagWhoseImageIsNotAllowed", async () => {
      await api(alice, "POST", "/v3/pods/templates", { template_id: "imgtpl" });
      assertRefused(await api(alice, "POST", "/v3/pods/templates/imgtpl/tags", { commit_message: "x", pod_definition: { image: "evil.io/miner:1" } }), 400, /^pod_definition\.image: 'evil\.io\/miner:1' is not on the image allowlist of tenant 'dev'/);
    });

    it("refusesToMoveAPodToATemplateVersionWhoseImageIsNoLongerAllowed", async () => {
      await api(admin, "POST", "/v3/pods/images", { image: "moving.io/app" });
      await api(alice, "POST", "/v3/pods/templates/imgtpl/tags", { commit_message: "1", pod_definition: { image: "moving.io/app:1" } });
      assert.equal((await api(alice, "POST", "/v3/pods", { pod_id: "imgtplpod", template: "imgtpl" })).status, 200);
      await api(alice, "POST", "/v3/pods/templates/imgtpl/tags", { commit_message: "2", pod_definition: { image: "moving.io/app:2" } });
      assert.equal((await api(admin, "DELETE", "/v3/pods/images/moving.io/app")).status, 200);
      assertRefused(await api(alice, "GET", "/v3/pods/imgtplpod/restart?grab_latest_template_tag=true"), 400, notAllowed("moving.io/app:2"));
      assert.equal((await api(alice, "GET", "/v3/pods/imgtplpod")).body.result.image, "moving.io/app:1");
    });
  });
});

describe("an allowlist with no configured entries (the distributed default)", () => {
  let svc: TestService;

  before(async () => {
    svc = await startTestService({ PODS_ALLOWED_IMAGES: "none" });
  });
  after(() => svc.stop());

  it("allowsNothingUntilAServiceAdministratorAddsIt", async () => {
    const alice = await svc.token("alice");
    const admin = await svc.token("admin");
    assert.deepEqual((await svc.api("GET", "/v3/pods/images", { token: alice })).body.result, []);
    assertRefused(await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "builtin", template: "neo4j" } }), 400, notAllowed("neo4j:5.26"));
    assert.equal((await svc.api("POST", "/v3/pods/images", { token: admin, body: { image: "neo4j:5.26", tenants: ["*"] } })).status, 200);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "builtin", template: "neo4j" } })).status, 200);
  });
});
