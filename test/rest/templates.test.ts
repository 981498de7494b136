import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.equal(answer.body.result, null);
  assert.match(answer.body.message, pattern);
}

const tagTimestampPattern = /^\d{4}-\d{2}-\d{2}-\d{2}:\d{2}:\d{2}(\.\d{3})?$/;

/**
 * Templates and their tags as the seed docs and the reference describe them:
 * each operation's happy path, unknown objects, conflicts and bad input
 * naming the field; tag references, recursion, overrides and archiving.
 */
describe("templates and tags", () => {
  let svc: TestService;
  let alice: string;
  let bob: string;
  let admin: string;
  let other: TrustedTenant;
  let carol: string;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
    admin = await svc.token("admin");
    carol = await other.token("carol");
  });
  after(() => svc.stop());

  const api = (token: string, method: string, path: string, body?: unknown) => svc.api(method, path, { token, body });
  const addTemplate = (id: string, more: object = {}, token = alice) => api(token, "POST", "/v3/pods/templates", { template_id: id, ...more });
  const addTag = (id: string, body: object, token = alice) => api(token, "POST", `/v3/pods/templates/${id}/tags`, body);

  describe("add_template", () => {
    it("addsTheSeedsMongoTemplateWithItsCreatorAsAdmin", async () => {
      const answer = await addTemplate("mongo", { description: "TACC's MongoDB template", metatags: ["mongo", "database", "TACC", "http"] });
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.message, "Template added successfully.");
      const t = answer.body.result;
      assert.equal(t.template_id, "mongo");
      assert.equal(t.description, "TACC's MongoDB template");
      assert.deepEqual(t.metatags, ["mongo", "database", "TACC", "http"]);
      assert.equal(t.archive_message, "");
      assert.equal(t.tenant_id, "dev");
      assert.equal(t.site_id, "local");
      assert.deepEqual(t.permissions, ["alice:ADMIN"]);
      assert.ok(Date.parse(t.creation_ts) > 0 && t.creation_ts === t.update_ts);
    });

    it("refusesATemplateIdThatExistsOrNamesABuiltInTemplateWith409", async () => {
      assert.equal((await addTemplate("dupe")).status, 200);
      assertRefused(await addTemplate("dupe", {}, bob), 409, /^template 'dupe' already exists$/);
      assertRefused(await addTemplate("neo4j"), 409, /^template 'neo4j' already exists$/);
    });

    it("refusesBadInputNamingTheField", async () => {
      for (const id of ["Mongo", "9lives", "ab", "has-dash", "a".repeat(65)]) {
        assertRefused(await addTemplate(id), 400, /^template_id: must be 3-64 lowercase letters and digits, starting with a letter/);
      }
      assertRefused(await addTemplate("tags"), 400, /^template_id: 'tags' is reserved/);
      assertRefused(await addTemplate("longdesc", { description: "x".repeat(256) }), 400, /^description: must be at most 255 characters$/);
      assertRefused(await addTemplate("badtags", { metatags: ["ok", ""] }), 400, /^metatags\[1\]: must be 1-64 characters$/);
      assertRefused(await addTemplate("wrongtype", { metatags: "mongo" }), 400, /^metatags: expected a list/);
      assert.equal((await api(alice, "GET", "/v3/pods/templates/longdesc")).status, 404, "nothing is stored");
    });
  });

  describe("list_templates and get_template", () => {
    it("listsTheBuiltInTemplatesAndThoseTheCallerMayRead", async () => {
      await addTemplate("alicesown");
      const mine = (await api(alice, "GET", "/v3/pods/templates")).body.result.map((t: { template_id: string }) => t.template_id);
      assert.ok(mine.includes("alicesown") && mine.includes("neo4j") && mine.includes("postgres"), JSON.stringify(mine));
      const bobs = (await api(bob, "GET", "/v3/pods/templates")).body.result.map((t: { template_id: string }) => t.template_id);
      assert.ok(!bobs.includes("alicesown") && bobs.includes("neo4j"), JSON.stringify(bobs));
      const carols = (await api(carol, "GET", "/v3/pods/templates")).body.result.map((t: { template_id: string }) => t.template_id);
      assert.ok(!carols.includes("alicesown") && carols.includes("neo4j"), JSON.stringify(carols));
    });

    it("getsATemplateAndAnswers404ForOneThatDoesNotExist", async () => {
      const answer = await api(alice, "GET", "/v3/pods/templates/mongo");
      assert.equal(answer.status, 200);
      assert.equal(answer.body.result.template_id, "mongo");
      assertRefused(await api(alice, "GET", "/v3/pods/templates/nosuchtemplate"), 404, /^template 'nosuchtemplate' not found$/);
      assertRefused(await api(carol, "GET", "/v3/pods/templates/mongo"), 404, /^template 'mongo' not found$/);
    });

    it("letsEveryoneReadTheBuiltInTemplatesButNotChangeThem", async () => {
      const builtIn = await api(carol, "GET", "/v3/pods/templates/neo4j");
      assert.equal(builtIn.status, 200);
      assert.equal(builtIn.body.result.tenant_id, "*");
      assertRefused(await api(bob, "PUT", "/v3/pods/templates/neo4j", { description: "mine now" }), 403, /USER permission on template 'neo4j' is required; you have READ/);
    });
  });

  describe("update_template", () => {
    it("changesOnlyTheFieldsGiven", async () => {
      await addTemplate("upd", { description: "first", metatags: ["a"] });
      const answer = await api(alice, "PUT", "/v3/pods/templates/upd", { description: "second" });
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.message, "Template updated successfully.");
      assert.equal(answer.body.result.description, "second");
      assert.deepEqual(answer.body.result.metatags, ["a"]);
      assert.ok(Date.parse(answer.body.result.update_ts) >= Date.parse(answer.body.result.creation_ts));
    });

    it("refusesAnUpdateThatChangesNothingWith400", async () => {
      await addTemplate("same", { description: "kept" });
      assertRefused(await api(alice, "PUT", "/v3/pods/templates/same", { description: "kept" }), 400, /^template 'same' is unchanged: description already holds the values given$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/templates/same", {}), 400, /^template 'same' is unchanged: the request names no field to change$/);
    });

    it("refusesBadInputAndUnknownTemplates", async () => {
      await addTemplate("badupd");
      assertRefused(await api(alice, "PUT", "/v3/pods/templates/badupd", { archive_message: "é" }), 400, /^archive_message: must be ASCII$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/templates/badupd", { template_id: "other" }), 400, /^template_id: unknown field$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/templates/nosuchtemplate", { description: "x" }), 404, /^template 'nosuchtemplate' not found$/);
    });
  });

  describe("tags", () => {
    it("addsATagWithItsCommitMessageTimestampAndCreator", async () => {
      await addTemplate("web");
      const answer = await addTag("web", { tag: "v1", commit_message: "first version", pod_definition: { image: "nginx:1.27", networking: { default: { port: 80 } } } });
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.message, "Template tag added successfully.");
      const tag = answer.body.result;
      assert.equal(tag.template_id, "web");
      assert.equal(tag.tag, "v1");
      assert.equal(tag.commit_message, "first version");
      assert.equal(tag.added_by, "alice");
      assert.equal(tag.tenant_id, "dev");
      assert.equal(tag.site_id, "local");
      assert.ok(tag.creation_ts);
      const [name, stamp] = tag.tag_timestamp.split("@");
      assert.equal(name, "v1");
      assert.match(stamp, tagTimestampPattern);
      assert.equal(tag.pod_definition.image, "nginx:1.27");
      assert.equal(tag.pod_definition.networking.default.port, 80);
    });

    it("defaultsTheTagToLatestAndKeepsEveryVersion", async () => {
      await addTemplate("versions");
      const first = await addTag("versions", { commit_message: "one", pod_definition: { image: "nginx:1.26" } });
      const second = await addTag("versions", { commit_message: "two", pod_definition: { image: "nginx:1.27" } });
      assert.equal(first.body.result.tag, "latest");
      assert.notEqual(first.body.result.tag_timestamp, second.body.result.tag_timestamp);
      const all = await api(alice, "GET", "/v3/pods/templates/versions/tags");
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.result.map((t: { commit_message: string }) => t.commit_message), ["two", "one"]);
      const newest = await api(alice, "GET", "/v3/pods/templates/versions/tags?full=false");
      assert.deepEqual(newest.body.result.map((t: { commit_message: string }) => t.commit_message), ["two"]);
      const byTag = await api(alice, "GET", "/v3/pods/templates/versions/tags/latest");
      assert.equal(byTag.body.result.length, 2);
      const exact = await api(alice, "GET", `/v3/pods/templates/versions/tags/${encodeURIComponent(first.body.result.tag_timestamp)}`);
      assert.deepEqual(exact.body.result.map((t: { commit_message: string }) => t.commit_message), ["one"]);
    });

    it("showsConfigContentOnlyWhenAskedFor", async () => {
      await addTemplate("configs");
      await addTag("configs", { commit_message: "c", pod_definition: { image: "nginx:1", volume_mounts: { "/etc/app.ini": { type: "ephemeral", config_content: "key=value" } } } });
      const hidden = await api(alice, "GET", "/v3/pods/templates/configs/tags");
      assert.equal(hidden.body.result[0].pod_definition.volume_mounts["/etc/app.ini"].config_content, "<9 bytes>");
      const shown = await api(alice, "GET", "/v3/pods/templates/configs/tags/latest?include_configs=true");
      assert.equal(shown.body.result[0].pod_definition.volume_mounts["/etc/app.ini"].config_content, "key=value");
    });

    it("refusesBadTagsNamingTheField", async () => {
      await addTemplate("badtag");
      assertRefused(await addTag("badtag", { pod_definition: { image: "nginx:1" } }), 400, /^commit_message: is required$/);
      assertRefused(await addTag("badtag", { tag: "no spaces", commit_message: "x", pod_definition: { image: "nginx:1" } }), 400, /^tag: must be 1-80 letters, digits, '-' and '\.'/);
      assertRefused(
        await addTag("badtag", { commit_message: "x", pod_definition: { image: "nginx:1", networking: { default: { protocol: "gopher" } } } }),
        400,
        /^pod_definition\.networking\.default\.protocol: must be one of/,
      );
      assertRefused(await addTag("badtag", { commit_message: "x", pod_definition: { template: "nosuchbase" } }), 400, /^pod_definition\.template: no template 'nosuchbase' is visible to you$/);
      assertRefused(await addTag("badtag", { commit_message: "x", pod_definition: { image: "nginx:1", colour: "red" } }), 400, /^pod_definition\.colour: unknown field$/);
      assertRefused(await addTag("nosuchtemplate", { commit_message: "x", pod_definition: { image: "nginx:1" } }), 404, /^template 'nosuchtemplate' not found$/);
      assert.deepEqual((await api(alice, "GET", "/v3/pods/templates/badtag/tags")).body.result, [], "nothing is stored");
    });

    it("answers404ForAnUnknownTag", async () => {
      assertRefused(await api(alice, "GET", "/v3/pods/templates/web/tags/nosuchtag"), 404, /^template tag 'web:nosuchtag' not found$/);
      assertRefused(await api(alice, "DELETE", "/v3/pods/templates/web/tags/nosuchtag"), 404, /^template tag 'web:nosuchtag' not found$/);
    });

    it("deletesATagVersionNoPodUses", async () => {
      await addTemplate("deltag");
      const added = await addTag("deltag", { tag: "gone", commit_message: "x", pod_definition: { image: "nginx:1" } });
      const answer = await api(alice, "DELETE", `/v3/pods/templates/deltag/tags/${encodeURIComponent(added.body.result.tag_timestamp)}`);
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.result.tag_timestamp, added.body.result.tag_timestamp);
      assert.equal((await api(alice, "GET", "/v3/pods/templates/deltag/tags/gone")).status, 404);
    });

    it("refusesToDeleteATagVersionAPodRunsWith409NamingThePod", async () => {
      await addTemplate("pinned");
      await addTag("pinned", { commit_message: "x", pod_definition: { image: "nginx:1" } });
      assert.equal((await api(alice, "POST", "/v3/pods", { pod_id: "pinnedpod", template: "pinned" })).status, 200);
      assertRefused(await api(alice, "DELETE", "/v3/pods/templates/pinned/tags/latest"), 409, /^template tag 'pinned:latest' is used by pods: pinnedpod$/);
      assertRefused(await api(alice, "DELETE", "/v3/pods/templates/pinned"), 409, /^template 'pinned' is used by pods: pinnedpod$/);
    });

    it("listsEveryTemplateWithItsTags", async () => {
      const answer = await api(alice, "GET", "/v3/pods/templates/tags");
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.result.web.template.template_id, "web");
      assert.equal(answer.body.result.web.tags[0].tag, "v1");
      assert.equal(answer.body.result.versions.tags.length, 2);
      assert.ok(answer.body.result.neo4j.tags.length >= 1);
      const newest = await api(alice, "GET", "/v3/pods/templates/tags?full=false");
      assert.equal(newest.body.result.versions.tags.length, 1);
      assert.equal((await api(bob, "GET", "/v3/pods/templates/tags")).body.result.web, undefined, "bob may not read alice's template");
    });
  });

  describe("delete_template", () => {
    it("deletesATemplateWithItsTags", async () => {
      await addTemplate("doomed");
      await addTag("doomed", { commit_message: "x", pod_definition: { image: "nginx:1" } });
      const answer = await api(alice, "DELETE", "/v3/pods/templates/doomed");
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.message, "Template deleted successfully.");
      assertRefused(await api(alice, "GET", "/v3/pods/templates/doomed"), 404, /template 'doomed' not found/);
      assert.equal((await addTemplate("doomed")).status, 200, "the id is free again");
      assert.deepEqual((await api(alice, "GET", "/v3/pods/templates/doomed/tags")).body.result, [], "its tags went with it");
      assertRefused(await api(alice, "DELETE", "/v3/pods/templates/nosuchtemplate"), 404, /template 'nosuchtemplate' not found/);
    });
  });

  describe("pods from templates", () => {
    before(async () => {
      await addTemplate("app");
      await addTag("app", {
        tag: "v1",
        commit_message: "v1",
        pod_definition: {
          image: "nginx:1.26",
          description: "app v1",
          environment_variables: { A: "1", B: "2" },
          networking: { default: { protocol: "http", port: 8080 }, extra: { protocol: "tcp", port: 9000 } },
          resources: { cpu_limit: 1000, mem_limit: 1024 },
          volume_mounts: { "/etc/app.conf": { type: "ephemeral", config_content: "x=1" } },
        },
      });
    });

    it("resolvesNameNameTagAndNameTagTimestamp", async () => {
      const v1 = (await api(alice, "GET", "/v3/pods/templates/app/tags/v1")).body.result[0].tag_timestamp;
      await addTag("app", { tag: "v1", commit_message: "v1 again", pod_definition: { image: "nginx:1.27" } });
      await addTag("app", { commit_message: "latest", pod_definition: { image: "nginx:1.28" } });
      for (const [podId, template, image] of [
        ["byname", "app", "nginx:1.28"],
        ["bytag", "app:v1", "nginx:1.27"],
        ["bystamp", `app:${v1}`, "nginx:1.26"],
      ]) {
        const answer = await api(alice, "POST", "/v3/pods", { pod_id: podId, template });
        assert.equal(answer.status, 200, answer.body.message);
        assert.equal(answer.body.result.image, image, template);
        assert.equal(answer.body.result.template, template);
      }
      assertRefused(await api(alice, "POST", "/v3/pods", { pod_id: "badref", template: "app:v9" }), 400, /^template: template 'app' has no tag 'v9'$/);
    });

    it("mergesThePodsFieldsAndTemplateOverridesWithNullRemovingInheritedKeys", async () => {
      const answer = await api(alice, "POST", "/v3/pods", {
        pod_id: "overridden",
        template: "app:v1",
        description: "mine",
        environment_variables: { C: "3" },
        template_overrides: {
          environment_variables: { A: null, B: "20" },
          networking: { extra: null, default: { port: 8081 } },
          resources: { cpu_limit: null, mem_limit: 2048 },
          volume_mounts: { "/etc/app.conf": null },
        },
      });
      assert.equal(answer.status, 200, answer.body.message);
      const derived = (await api(alice, "GET", "/v3/pods/overridden/derived")).body.result;
      assert.equal(derived.description, "mine");
      assert.deepEqual(derived.environment_variables, { B: "20", C: "3" });
      assert.deepEqual(Object.keys(derived.networking), ["default"]);
      assert.equal(derived.networking.default.port, 8081);
      assert.equal(derived.networking.default.protocol, "http");
      assert.equal(derived.resources.cpu_limit, 2000, "back to the default");
      assert.equal(derived.resources.mem_limit, 2048);
      assert.deepEqual(derived.volume_mounts, {});
    });

    it("resolvesBaseTemplatesRecursively", async () => {
      await addTemplate("child");
      const child = await addTag("child", { commit_message: "on app", pod_definition: { template: "app:v1", description: "child of app" } });
      assert.equal(child.status, 200, child.body.message);
      const pod = await api(alice, "POST", "/v3/pods", { pod_id: "grandchild", template: "child" });
      assert.equal(pod.status, 200, pod.body.message);
      assert.equal(pod.body.result.image, "nginx:1.27");
      assert.equal(pod.body.result.description, "child of app");
    });

    it("refusesACycleNamingTheChain", async () => {
      await addTemplate("cyclea");
      await addTemplate("cycleb");
      await addTag("cyclea", { commit_message: "base", pod_definition: { image: "nginx:1" } });
      assert.equal((await addTag("cycleb", { commit_message: "on a", pod_definition: { template: "cyclea" } })).status, 200);
      assertRefused(await addTag("cyclea", { commit_message: "on b", pod_definition: { template: "cycleb" } }), 400, /^pod_definition\.template: templates form a cycle: cyclea → cycleb → cyclea$/);
    });

    it("refusesNestingDeeperThanTenLevelsNamingTheChain", async () => {
      await addTemplate("deep0");
      await addTag("deep0", { commit_message: "base", pod_definition: { image: "nginx:1" } });
      for (let level = 1; level < 10; level++) {
        await addTemplate(`deep${level}`);
        const added = await addTag(`deep${level}`, { commit_message: "x", pod_definition: { template: `deep${level - 1}` } });
        assert.equal(added.status, 200, added.body.message);
      }
      assert.equal((await api(alice, "POST", "/v3/pods", { pod_id: "tenlevels", template: "deep9" })).status, 200, "ten levels are fine");
      await addTemplate("deep10");
      const chain = Array.from({ length: 11 }, (_, i) => `deep${10 - i}`).join(" → ");
      assertRefused(await addTag("deep10", { commit_message: "x", pod_definition: { template: "deep9" } }), 400, new RegExp(`^pod_definition\\.template: templates nest deeper than 10 levels: ${chain}$`));
    });

    it("refusesNewPodsFromAnArchivedTemplateButKeepsExistingOnesRunning", async () => {
      await addTemplate("old");
      await addTag("old", { commit_message: "x", pod_definition: { image: "nginx:1" } });
      assert.equal((await api(alice, "POST", "/v3/pods", { pod_id: "oldpod", template: "old" })).status, 200);
      await svc.waitForStatus(alice, "oldpod", "AVAILABLE");
      assert.equal((await api(alice, "PUT", "/v3/pods/templates/old", { archive_message: "Use app instead." })).status, 200);
      assertRefused(await api(alice, "POST", "/v3/pods", { pod_id: "oldpod2", template: "old" }), 400, /^template: template 'old' is archived: Use app instead\.$/);
      assert.equal((await api(alice, "GET", "/v3/pods/oldpod/restart")).status, 200);
      await svc.waitForStatus(alice, "oldpod", "AVAILABLE");
      assert.equal((await api(alice, "GET", "/v3/pods/oldpod")).body.result.image, "nginx:1");
    });

    it("movesToTheNewestVersionOnRestartWithGrabLatestTemplateTag", async () => {
      await addTemplate("moving");
      await addTag("moving", { commit_message: "1", pod_definition: { image: "nginx:1.26" } });
      await api(alice, "POST", "/v3/pods", { pod_id: "movingpod", template: "moving" });
      await addTag("moving", { commit_message: "2", pod_definition: { image: "nginx:1.27" } });
      assert.equal((await api(alice, "GET", "/v3/pods/movingpod")).body.result.image, "nginx:1.26", "pinned until asked");
      await api(alice, "GET", "/v3/pods/movingpod/restart");
      assert.equal((await api(alice, "GET", "/v3/pods/movingpod")).body.result.image, "nginx:1.26");
      const moved = await api(alice, "GET", "/v3/pods/movingpod/restart?grab_latest_template_tag=true");
      assert.equal(moved.body.result.image, "nginx:1.27");
    });

    it("letsOnlyUsersWhoMayReadATemplateCreatePodsFromIt", async () => {
      assertRefused(await api(bob, "POST", "/v3/pods", { pod_id: "bobsapp", template: "app" }), 403, /^READ permission on template 'app' is required; you have no permission$/);
      assertRefused(await api(carol, "POST", "/v3/pods", { pod_id: "carolsapp", template: "app" }), 400, /^template: no template 'app' is visible to you$/);
    });
  });

  describe("template permissions", () => {
    before(async () => {
      await addTemplate("shared");
      await addTag("shared", { commit_message: "x", pod_definition: { image: "nginx:1" } });
    });

    it("grantsListsAndRemovesUserLevels", async () => {
      const set = await api(alice, "POST", "/v3/pods/templates/shared/permissions", { user: "bob", level: "USER" });
      assert.equal(set.status, 200, set.body.message);
      assert.deepEqual(set.body.result.permissions, ["alice:ADMIN", "bob:USER"]);
      assert.deepEqual((await api(bob, "GET", "/v3/pods/templates/shared/permissions")).body.result.permissions, ["alice:ADMIN", "bob:USER"]);
      assert.ok((await api(bob, "GET", "/v3/pods/templates")).body.result.some((t: { template_id: string }) => t.template_id === "shared"));
      assert.equal((await api(bob, "POST", "/v3/pods", { pod_id: "bobshared", template: "shared" })).status, 200);
      const removed = await api(alice, "DELETE", "/v3/pods/templates/shared/permissions/bob");
      assert.deepEqual(removed.body.result.permissions, ["alice:ADMIN"]);
      assertRefused(await api(alice, "DELETE", "/v3/pods/templates/shared/permissions/bob"), 404, /permission 'bob on template shared' not found/);
      assertRefused(await api(alice, "POST", "/v3/pods/templates/shared/permissions", { user: "bob", level: "OWNER" }), 400, /^level: must be one of READ, USER, ADMIN/);
      assertRefused(await api(alice, "DELETE", "/v3/pods/templates/shared/permissions/alice"), 400, /alice is the last ADMIN of template 'shared'/);
    });

    it("letsOnlyServiceAdminsGrantTenantWideAndSiteWideRead", async () => {
      assertRefused(await api(alice, "POST", "/v3/pods/templates/shared/permissions", { user: "tenant.dev", level: "READ" }), 403, /^only service administrators may grant tenant\.dev$/);
      assertRefused(await api(alice, "POST", "/v3/pods/templates/shared/permissions", { user: "**", level: "READ" }), 403, /^only service administrators may grant \*\*$/);
      assertRefused(await api(admin, "POST", "/v3/pods/templates/shared/permissions", { user: "**", level: "USER" }), 400, /^level: \*\* may only hold READ$/);

      assert.equal((await api(bob, "GET", "/v3/pods/templates/shared")).status, 403);
      assert.equal((await api(admin, "POST", "/v3/pods/templates/shared/permissions", { user: "tenant.dev", level: "READ" })).status, 200);
      assert.equal((await api(bob, "GET", "/v3/pods/templates/shared")).status, 200, "every user of the tenant reads it");
      assert.equal((await api(bob, "PUT", "/v3/pods/templates/shared", { description: "bob" })).status, 403);
      assert.equal((await api(carol, "GET", "/v3/pods/templates/shared")).status, 404, "another tenant still does not see it");

      const siteWide = await api(admin, "POST", "/v3/pods/templates/shared/permissions", { user: "**", level: "READ" });
      assert.deepEqual(siteWide.body.result.permissions, ["**:READ", "alice:ADMIN", "tenant.dev:READ"]);
      assert.equal((await api(carol, "GET", "/v3/pods/templates/shared")).status, 200, "every user of every tenant reads it");
      assert.ok((await api(carol, "GET", "/v3/pods/templates")).body.result.some((t: { template_id: string }) => t.template_id === "shared"));
      const carolsPod = await api(carol, "POST", "/v3/pods", { pod_id: "carolshared", template: "shared" });
      assert.equal(carolsPod.status, 200, carolsPod.body.message);
      assert.equal(carolsPod.body.result.image, "nginx:1");
    });
  });
});
