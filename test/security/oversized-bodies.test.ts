import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";

/** Bodies past the size limits get 413 naming the limit; broken ones 400; the service keeps answering. */
describe("oversized and malformed bodies", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService({ PODS_MAX_JSON_BYTES: "65536", PODS_MAX_UPLOAD_BYTES: "4096" });
    alice = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: "bigpod", image: "busybox" } })).status, 200);
    await svc.waitForStatus(alice, "bigpod", "AVAILABLE");
  });
  after(() => svc.stop());

  it("refusesAJsonBodyPastTheLimitWith413", async () => {
    const body = { pod_id: "hugepod", image: "busybox", description: "x".repeat(70_000) };
    const answer = await svc.api("POST", "/v3/pods", { token: alice, body });
    assert.equal(answer.status, 413, answer.body.message);
    assert.equal(answer.body.message, "request body exceeds 65536 bytes");
  });

  it("refusesAnUploadPastTheLimitWith413", async () => {
    const form = new FormData();
    form.set("dest_path", "/tmp/big");
    form.set("file", new Blob([new Uint8Array(8192)]), "big");
    const response = await fetch(`${svc.baseUrl}/v3/pods/bigpod/upload_to_pod`, { method: "POST", headers: { "X-Tapis-Token": alice }, body: form });
    const answer = (await response.json()) as { message: string };
    assert.equal(response.status, 413, answer.message);
    assert.match(answer.message, /4096 bytes/);
  });

  it("refusesAMalformedMultipartBodyWith400", async () => {
    const response = await fetch(`${svc.baseUrl}/v3/pods/bigpod/upload_to_pod`, {
      method: "POST",
      headers: { "X-Tapis-Token": alice, "Content-Type": "multipart/form-data; boundary=xyz" },
      body: "--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno closing boundary",
    });
    assert.equal(response.status, 400, await response.text());
  });

  it("refusesWrongTypesAndUnknownFieldsNamingThem", async () => {
    const answer = await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: 7, image: "busybox", surprise: true } });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /pod_id: expected a string, got number 7/);
    assert.match(answer.body.message, /surprise: unknown field/);
  });

  it("keepsAnswering", async () => {
    assert.equal((await svc.api("GET", "/v3/pods/healthcheck")).status, 200);
    assert.equal((await svc.api("GET", "/v3/pods/bigpod", { token: alice })).status, 200);
  });
});
