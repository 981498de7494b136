import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { startTestService, type TestService } from "../support/test-service.js";

describe("multipart uploads at the gateway", () => {
  let svc: TestService;
  let jwt: string;

  before(async () => {
    svc = await startTestService({ PODS_MAX_UPLOAD_BYTES: "4096" });
    jwt = await svc.token("alice");
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "target", template: "postgres" } });
    await svc.waitForStatus(jwt, "target", "AVAILABLE");
  });
  after(() => svc.stop());

  const spools = async () => (await readdir(join(svc.dataDir, "upload-spool"))).filter((name) => name.startsWith("pods-upload-"));

  async function upload(form: FormData, token?: string) {
    const response = await fetch(`${svc.baseUrl}/v3/pods/target/upload_to_pod`, { method: "POST", body: form, headers: token ? { "X-Tapis-Token": token } : {} });
    return { status: response.status, body: (await response.json()) as { message: string; status: string } };
  }

  function form(fileBytes: number, fields: Record<string, string> = { dest_path: "/tmp/x" }): FormData {
    const data = new FormData();
    data.append("file", new Blob([new Uint8Array(fileBytes)]), "x.bin");
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    return data;
  }

  it("refusesAnUploadWithoutATokenBeforeReadingIt", async () => {
    const answer = await upload(form(1000));
    assert.equal(answer.status, 401);
    assert.match(answer.body.message, /X-Tapis-Token header is required/);
  });

  it("refusesAFileOverTheConfiguredLimit", async () => {
    const answer = await upload(form(10_000), jwt);
    assert.equal(answer.status, 413);
    assert.match(answer.body.message, /file: larger than 4096 bytes/);
  });

  it("refusesUnknownFormFieldsAndAMissingFile", async () => {
    const unknown = await upload(form(10, { dest_path: "/tmp/x", colour: "red" }), jwt);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /colour: unknown form field/);
    const data = new FormData();
    data.append("dest_path", "/tmp/x");
    const missing = await upload(data, jwt);
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /file: the form must include a file part named 'file'/);
  });

  it("streamsAWellFormedUploadToThePodsAgent", async () => {
    const answer = await upload(form(3000), jwt);
    assert.equal(answer.status, 200, answer.body.message);
    assert.deepEqual((answer.body as unknown as { result: unknown }).result, { uploaded: "/tmp/x" });
    assert.equal(answer.body.message, "Wrote 3000 bytes to /tmp/x.");
  });

  it("takesTheDestinationPathBeforeOrAfterTheFile", async () => {
    const data = new FormData();
    data.append("dest_path", "/tmp/first");
    data.append("file", new Blob([new Uint8Array(10)]), "x.bin");
    const answer = await upload(data, jwt);
    assert.deepEqual((answer.body as unknown as { result: unknown }).result, { uploaded: "/tmp/first" });
    assert.equal(answer.body.message, "Wrote 10 bytes to /tmp/first.");
  });

  it("refusesARelativeDestinationAndAPodThatIsNotRunning", async () => {
    const relative = await upload(form(10, { dest_path: "tmp/x" }), jwt);
    assert.equal(relative.status, 400);
    assert.match(relative.body.message, /dest_path: must be an absolute path/);
    await svc.api("GET", "/v3/pods/target/stop", { token: jwt });
    await svc.waitForStatus(jwt, "target", "STOPPED");
    const stopped = await upload(form(10), jwt);
    assert.equal(stopped.status, 400);
    assert.match(stopped.body.message, /files can be uploaded only to an AVAILABLE pod/);
  });

  it("leavesNoSpooledFileBehind", async () => {
    assert.deepEqual(await spools(), []);
  });
});
