import assert from "node:assert/strict";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { startTestService, type ApiAnswer, type TestService } from "../support/test-service.js";

function assertRefused(answer: ApiAnswer, status: number, pattern: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.status, "error");
  assert.equal(answer.body.result, null);
  assert.match(answer.body.message, pattern);
}

/** Secrets: values kept encrypted, shown only by the value call to those allowed, shared per user. */
describe("secrets", () => {
  let svc: TestService;
  let alice: string;
  let bob: string;
  let other: TrustedTenant;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    bob = await svc.token("bob");
  });
  after(() => svc.stop());

  const api = (token: string, method: string, path: string, body?: unknown) => svc.api(method, path, { token, body });
  const create = (body: object, token = alice) => api(token, "POST", "/v3/pods/secrets", body);

  describe("create_secret", () => {
    it("createsAUserSecretWhoseAnswerNeverHoldsTheValue", async () => {
      const answer = await create({ secret_id: "my_db_password", secret_value: "s3cr3t-value-1", description: "database password" });
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.message, "Secret created successfully.");
      const secret = answer.body.result;
      assert.deepEqual(
        { ...secret, creation_ts: undefined },
        { secret_id: "my_db_password", scope: "user", pod_id: null, description: "database password", readable: true, writable: true, sk_secret_name: "pods_dev_user+alice+my_db_password", creation_ts: undefined, added_by: "alice" },
      );
      assert.ok(Date.parse(secret.creation_ts) > 0);
      assert.ok(!JSON.stringify(answer.body).includes("s3cr3t-value-1"));
    });

    it("createsAPodScopedSecretForAPodTheCallerAdministers", async () => {
      assert.equal((await api(alice, "POST", "/v3/pods", { pod_id: "secretpod", image: "busybox:1" })).status, 200);
      const answer = await create({ secret_id: "pod_token", secret_value: "pod-only", scope: "pod", pod_id: "secretpod" });
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.result.scope, "pod");
      assert.equal(answer.body.result.pod_id, "secretpod");
      assert.equal(answer.body.result.sk_secret_name, "pods_dev_pod+secretpod+pod_token");
      assertRefused(await create({ secret_id: "bobs_pod_token", secret_value: "x", scope: "pod", pod_id: "secretpod" }, bob), 403, /^ADMIN permission on pod 'secretpod' is required; you have no permission$/);
    });

    it("refusesADuplicateIdWith409", async () => {
      assertRefused(await create({ secret_id: "my_db_password", secret_value: "other" }, bob), 409, /^secret 'my_db_password' already exists$/);
    });

    it("refusesBadInputNamingTheField", async () => {
      assertRefused(await create({ secret_value: "x" }), 400, /^secret_id: must be 1-100 letters, digits, '_' and '-'/);
      assertRefused(await create({ secret_id: "has space", secret_value: "x" }), 400, /^secret_id: must be 1-100 letters, digits, '_' and '-'/);
      assertRefused(await create({ secret_id: "a".repeat(101), secret_value: "x" }), 400, /^secret_id: must be 1-100/);
      assertRefused(await create({ secret_id: "novalue" }), 400, /^secret_value: is required$/);
      assertRefused(await create({ secret_id: "badscope", secret_value: "x", scope: "team" }), 400, /^scope: must be user or pod$/);
      assertRefused(await create({ secret_id: "nopod", secret_value: "x", scope: "pod" }), 400, /^pod_id: is required when scope is pod$/);
      assertRefused(await create({ secret_id: "userpod", secret_value: "x", pod_id: "secretpod" }), 400, /^pod_id: must not be set when scope is user$/);
      assertRefused(await create({ secret_id: "nosuchpod", secret_value: "x", scope: "pod", pod_id: "nosuchpod" }), 400, /^pod_id: pod 'nosuchpod' not found$/);
      assertRefused(await create({ secret_id: "longdesc", secret_value: "x", description: "d".repeat(501) }), 400, /^description: must be at most 500 characters$/);
      assertRefused(await create({ secret_id: "typed", secret_value: 42 }), 400, /^secret_value: expected a string/);
      assert.equal((await api(alice, "GET", "/v3/pods/secrets/novalue")).status, 404, "nothing is stored");
    });
  });

  describe("list_secrets and get_secret", () => {
    it("listsOnlyTheSecretsTheCallerMayRead", async () => {
      await create({ secret_id: "bobs_own", secret_value: "bob-value" }, bob);
      const alices = (await api(alice, "GET", "/v3/pods/secrets")).body.result.map((s: { secret_id: string }) => s.secret_id);
      assert.ok(alices.includes("my_db_password") && !alices.includes("bobs_own"), JSON.stringify(alices));
      const bobs = (await api(bob, "GET", "/v3/pods/secrets")).body.result.map((s: { secret_id: string }) => s.secret_id);
      assert.deepEqual(bobs, ["bobs_own"]);
    });

    it("getsASecretsMetadataAndAnswers404ForUnknownOnes", async () => {
      const answer = await api(alice, "GET", "/v3/pods/secrets/my_db_password");
      assert.equal(answer.status, 200);
      assert.equal(answer.body.result.description, "database password");
      assert.ok(!JSON.stringify(answer.body).includes("s3cr3t-value-1"));
      assertRefused(await api(alice, "GET", "/v3/pods/secrets/nosuchsecret"), 404, /^secret 'nosuchsecret' not found$/);
      assertRefused(await api(await other.token("alice"), "GET", "/v3/pods/secrets/my_db_password"), 404, /^secret 'my_db_password' not found$/);
    });
  });

  describe("get_secret_value", () => {
    it("returnsTheValueToThoseAllowed", async () => {
      const answer = await api(alice, "GET", "/v3/pods/secrets/my_db_password/value");
      assert.equal(answer.status, 200, answer.body.message);
      assert.deepEqual(answer.body.result, { secret_id: "my_db_password", secret_value: "s3cr3t-value-1" });
      assertRefused(await api(bob, "GET", "/v3/pods/secrets/my_db_password/value"), 403, /^USER permission on secret 'my_db_password' is required; you have no permission$/);
    });

    it("refusesTheValueOfAnUnreadableSecret", async () => {
      await create({ secret_id: "write_only", secret_value: "never-shown", readable: false });
      assertRefused(await api(alice, "GET", "/v3/pods/secrets/write_only/value"), 400, /^secret 'write_only' is not readable: pods may use it, but its value is never shown \(readable=false\)$/);
    });
  });

  describe("update_secret", () => {
    it("changesTheDescriptionAndTheValue", async () => {
      await create({ secret_id: "rotating", secret_value: "v1" });
      const described = await api(alice, "PUT", "/v3/pods/secrets/rotating", { description: "rotated monthly" });
      assert.equal(described.status, 200, described.body.message);
      assert.equal(described.body.message, "Secret updated successfully.");
      assert.equal(described.body.result.description, "rotated monthly");
      const rotated = await api(alice, "PUT", "/v3/pods/secrets/rotating", { secret_value: "v2" });
      assert.equal(rotated.status, 200, rotated.body.message);
      assert.ok(!JSON.stringify(rotated.body).includes("v2\""));
      assert.equal((await api(alice, "GET", "/v3/pods/secrets/rotating/value")).body.result.secret_value, "v2");
    });

    it("refusesAnUpdateThatChangesNothing", async () => {
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/rotating", { description: "rotated monthly" }), 400, /^secret 'rotating' is unchanged: description already holds the values given$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/rotating", { secret_value: "v2" }), 400, /^secret 'rotating' is unchanged: secret_value already holds the values given$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/rotating", {}), 400, /^secret 'rotating' is unchanged: the request names no field to change$/);
    });

    it("refusesANewValueForAnUnwritableSecretButChangesItsDescription", async () => {
      await create({ secret_id: "write_once", secret_value: "fixed", writable: false });
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/write_once", { secret_value: "changed" }), 400, /^secret_value: secret 'write_once' is not writable \(writable=false\)$/);
      assert.equal((await api(alice, "PUT", "/v3/pods/secrets/write_once", { description: "still allowed" })).status, 200);
      assert.equal((await api(alice, "GET", "/v3/pods/secrets/write_once/value")).body.result.secret_value, "fixed");
    });

    it("refusesBadInputAndUnknownSecrets", async () => {
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/rotating", { scope: "pod" }), 400, /^scope: unknown field$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/rotating", { secret_value: "" }), 400, /^secret_value: must not be empty$/);
      assertRefused(await api(alice, "PUT", "/v3/pods/secrets/nosuchsecret", { description: "x" }), 404, /^secret 'nosuchsecret' not found$/);
    });
  });

  describe("sharing", () => {
    it("grantsAndRemovesLevelsAsUserColonLevel", async () => {
      await create({ secret_id: "shared_api_key", secret_value: "api-key-value" });
      const set = await api(alice, "POST", "/v3/pods/secrets/shared_api_key/permissions", { user: "bob", level: "READ" });
      assert.equal(set.status, 200, set.body.message);
      assert.deepEqual(set.body.result.permissions, ["alice:ADMIN", "bob:READ"]);
      assert.equal((await api(bob, "GET", "/v3/pods/secrets/shared_api_key")).status, 200);
      assert.equal((await api(bob, "GET", "/v3/pods/secrets/shared_api_key/value")).status, 403, "READ shows the metadata only");
      await api(alice, "POST", "/v3/pods/secrets/shared_api_key/permissions", { user: "bob", level: "USER" });
      assert.equal((await api(bob, "GET", "/v3/pods/secrets/shared_api_key/value")).body.result.secret_value, "api-key-value");
      assert.deepEqual((await api(bob, "GET", "/v3/pods/secrets/shared_api_key/permissions")).body.result.permissions, ["alice:ADMIN", "bob:USER"]);
      const removed = await api(alice, "DELETE", "/v3/pods/secrets/shared_api_key/permissions/bob");
      assert.deepEqual(removed.body.result.permissions, ["alice:ADMIN"]);
      assert.equal((await api(bob, "GET", "/v3/pods/secrets/shared_api_key")).status, 403);
      assertRefused(await api(alice, "DELETE", "/v3/pods/secrets/shared_api_key/permissions/alice"), 400, /alice is the last ADMIN of secret 'shared_api_key'/);
    });
  });

  describe("delete_secret", () => {
    it("deletesASecretAndItsGrants", async () => {
      await create({ secret_id: "doomed", secret_value: "gone" });
      await api(alice, "POST", "/v3/pods/secrets/doomed/permissions", { user: "bob", level: "READ" });
      const answer = await api(alice, "DELETE", "/v3/pods/secrets/doomed");
      assert.equal(answer.status, 200, answer.body.message);
      assert.equal(answer.body.message, "Secret deleted successfully.");
      assertRefused(await api(alice, "GET", "/v3/pods/secrets/doomed"), 404, /^secret 'doomed' not found$/);
      assert.equal((await create({ secret_id: "doomed", secret_value: "again" }, bob)).status, 200, "the id is free again");
      assert.deepEqual((await api(bob, "GET", "/v3/pods/secrets/doomed/permissions")).body.result.permissions, ["bob:ADMIN"], "no grant survives");
      assertRefused(await api(alice, "DELETE", "/v3/pods/secrets/nosuchsecret"), 404, /^secret 'nosuchsecret' not found$/);
    });
  });
});
