import assert from "node:assert/strict";
import { startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant, type TrustedTenant } from "../support/tokens.js";
import { rawRequest, uploadFile, waitForStorageStatus, type FileAnswer } from "../support/volume-files.js";

type Level = "READ" | "USER" | "ADMIN";

/**
 * Who calls, in the order of each row's statuses: the object's creator
 * (alice); bob holding ADMIN, USER, READ or no permission on it; a user of
 * another tenant, for whom the object does not exist; a service
 * administrator of its tenant (admin@dev: ADMIN on every object).
 */
const callers = ["owner", "ADMIN", "USER", "READ", "none", "other tenant", "service admin"] as const;
type Caller = (typeof callers)[number];

interface Endpoint {
  method: string;
  /** Under the object's own path (/v3/pods/volumes/<id>), or a seed docs path with {id}. */
  path: string;
  required: Level;
  body?: unknown;
  upload?: boolean;
  status: [number, number, number, number, number, number, number];
  /** What a successful answer shows. */
  shows?: (answer: FileAnswer, id: string) => void;
}

const hello = "hello\n";
const showsHello = (answer: FileAnswer) => assert.equal(answer.body.toString(), hello);
const showsTheObject = (field: string) => (answer: FileAnswer, id: string) => assert.equal(answer.json?.result[field], id);
const listsHello = (answer: FileAnswer) => assert.ok((answer.json?.result as { path: string }[]).some((f) => f.path === "hello.txt"), JSON.stringify(answer.json?.result));

// prettier-ignore
const volumeEndpoints: Endpoint[] = [
  //                                                                        owner ADMIN USER READ none other admin
  { method: "GET",    path: "",                           required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: showsTheObject("volume_id") },
  { method: "PUT",    path: "",                           required: "USER",  status: [200, 200, 200, 403, 403, 404, 200], body: { description: "changed" },
    shows: (answer) => assert.equal(answer.json?.result.description, "changed") },
  { method: "DELETE", path: "",                           required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200] },
  { method: "GET",    path: "/list",                      required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: listsHello },
  { method: "GET",    path: "/contents/hello.txt",        required: "USER",  status: [200, 200, 200, 403, 403, 404, 200], shows: showsHello },
  { method: "POST",   path: "/upload/new.txt",            required: "USER",  status: [200, 200, 200, 403, 403, 404, 200], upload: true,
    shows: (answer) => assert.equal(answer.json?.result, "Wrote 6 bytes to new.txt.") },
  { method: "GET",    path: "/permissions",               required: "USER",  status: [200, 200, 200, 403, 403, 404, 200],
    shows: (answer) => assert.ok(answer.json?.result.permissions.includes("zed:READ")) },
  { method: "POST",   path: "/permissions",               required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200], body: { user: "zed", level: "USER" },
    shows: (answer) => assert.ok(answer.json?.result.permissions.includes("zed:USER")) },
  { method: "DELETE", path: "/permissions/zed",           required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200],
    shows: (answer) => assert.ok(!answer.json?.result.permissions.some((p: string) => p.startsWith("zed:"))) },
  { method: "GET",    path: "/v3/volumes/{id}/files",      required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: listsHello },
  { method: "GET",    path: "/v3/volumes/{id}/files/hello.txt", required: "USER", status: [200, 200, 200, 403, 403, 404, 200], shows: showsHello },
  { method: "POST",   path: "/v3/volumes/{id}/files/new.txt",   required: "USER", status: [200, 200, 200, 403, 403, 404, 200], upload: true },
];

// prettier-ignore
const snapshotEndpoints: Endpoint[] = [
  //                                                                        owner ADMIN USER READ none other admin
  { method: "GET",    path: "",                           required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: showsTheObject("snapshot_id") },
  { method: "PUT",    path: "",                           required: "USER",  status: [200, 200, 200, 403, 403, 404, 200], body: { description: "changed" },
    shows: (answer) => assert.equal(answer.json?.result.description, "changed") },
  { method: "DELETE", path: "",                           required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200] },
  { method: "GET",    path: "/list",                      required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: listsHello },
  { method: "GET",    path: "/contents/hello.txt",        required: "USER",  status: [200, 200, 200, 403, 403, 404, 200], shows: showsHello },
  { method: "GET",    path: "/permissions",               required: "USER",  status: [200, 200, 200, 403, 403, 404, 200] },
  { method: "POST",   path: "/permissions",               required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200], body: { user: "zed", level: "USER" } },
  { method: "DELETE", path: "/permissions/zed",           required: "ADMIN", status: [200, 200, 403, 403, 403, 404, 200] },
  { method: "GET",    path: "/v3/snapshots/{id}/files",    required: "READ",  status: [200, 200, 200, 200, 403, 404, 200], shows: listsHello },
  { method: "GET",    path: "/v3/snapshots/{id}/files/hello.txt", required: "USER", status: [200, 200, 200, 403, 403, 404, 200], shows: showsHello },
];

describe("authorization of volume and snapshot endpoints", function () {
  this.timeout(120_000);
  let svc: TestService;
  let alice: string;
  let other: TrustedTenant;
  let source: string;
  let counter = 0;

  before(async () => {
    other = await trustedTenant();
    svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile });
    alice = await svc.token("alice");
    source = "authzsource";
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: source } })).status, 200);
    await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${source}`, "AVAILABLE");
    assert.equal((await uploadFile(svc.baseUrl, alice, `/v3/pods/volumes/${source}/upload/hello.txt`, Buffer.from(hello))).status, 200);
  });
  after(() => svc.stop());

  async function tokenOf(caller: Caller): Promise<{ token: string; level: Level | "NONE" }> {
    switch (caller) {
      case "owner":
        return { token: alice, level: "ADMIN" };
      case "other tenant":
        return { token: await other.token("alice"), level: "NONE" };
      case "service admin":
        return { token: await svc.token("admin"), level: "ADMIN" };
      case "none":
        return { token: await svc.token("bob"), level: "NONE" };
      default:
        return { token: await svc.token("bob"), level: caller };
    }
  }

  /** A new volume (or snapshot of the source volume) holding hello.txt, shared with zed (READ) and bob at `level`. */
  async function objectSharedWith(kind: "volume" | "snapshot", level: Level | "NONE"): Promise<string> {
    const id = `authz${kind}${++counter}`;
    if (kind === "volume") {
      assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: id } })).status, 200);
      await waitForStorageStatus(svc.api, alice, `/v3/pods/volumes/${id}`, "AVAILABLE");
      assert.equal((await uploadFile(svc.baseUrl, alice, `/v3/pods/volumes/${id}/upload/hello.txt`, Buffer.from(hello))).status, 200);
    } else {
      const created = await svc.api("POST", "/v3/pods/snapshots", { token: alice, body: { snapshot_id: id, source_volume_id: source, source_volume_path: "/" } });
      assert.equal(created.status, 200, created.body.message);
      await waitForStorageStatus(svc.api, alice, `/v3/pods/snapshots/${id}`, "AVAILABLE");
    }
    const base = `/v3/pods/${kind}s/${id}/permissions`;
    assert.equal((await svc.api("POST", base, { token: alice, body: { user: "zed", level: "READ" } })).status, 200);
    if (level !== "NONE") assert.equal((await svc.api("POST", base, { token: alice, body: { user: "bob", level } })).status, 200);
    return id;
  }

  function call(kind: "volume" | "snapshot", endpoint: Endpoint, id: string, token: string): Promise<FileAnswer> {
    const path = endpoint.path.startsWith("/v3/") ? endpoint.path.replace("{id}", id) : `/v3/pods/${kind}s/${id}${endpoint.path}`;
    if (endpoint.upload) return uploadFile(svc.baseUrl, token, path, Buffer.from(hello));
    const body = endpoint.body === undefined ? undefined : Buffer.from(JSON.stringify(endpoint.body));
    return rawRequest(svc.baseUrl, endpoint.method, path, { token, body, headers: body ? { "Content-Type": "application/json" } : {} });
  }

  function problemsOf(kind: "volume" | "snapshot", endpoint: Endpoint, id: string, held: Level | "NONE", status: number, answer: FileAnswer): string[] {
    const message = answer.json?.message;
    if (answer.status !== status) return [`answered ${answer.status} (${message ?? answer.body.toString().slice(0, 100)}), expected ${status}`];
    try {
      if (answer.json) assert.equal(answer.json.status, status === 200 ? "success" : "error");
      if (status === 200) endpoint.shows?.(answer, id);
      if (status === 403) assert.equal(message, `${endpoint.required} permission on ${kind} '${id}' is required; you have ${held === "NONE" ? "no permission" : held}`);
      if (status === 404) assert.equal(message, `${kind} '${id}' not found`);
    } catch (error) {
      return [`${status}, but ${error instanceof Error ? error.message : String(error)}`];
    }
    return [];
  }

  for (const [kind, endpoints] of [["volume", volumeEndpoints], ["snapshot", snapshotEndpoints]] as const) {
    for (const endpoint of endpoints) {
      const row = callers.map((caller, i) => `${caller} ${endpoint.status[i]}`).join(", ");
      const shown = endpoint.path.startsWith("/v3/") ? endpoint.path : `/${kind}s/{id}${endpoint.path}`;
      it(`answers ${endpoint.method} ${shown} (${endpoint.required}): ${row}`, async () => {
        const failures: string[] = [];
        for (const [i, caller] of callers.entries()) {
          const id = await objectSharedWith(kind, caller === "ADMIN" || caller === "USER" || caller === "READ" ? caller : "NONE");
          const { token, level } = await tokenOf(caller);
          const answer = await call(kind, endpoint, id, token);
          failures.push(...problemsOf(kind, endpoint, id, level, endpoint.status[i]!, answer).map((problem) => `${caller}: ${problem}`));
          if (endpoint.method === "DELETE" && endpoint.path === "" && answer.status === 200) {
            assert.equal((await svc.api("GET", `/v3/pods/${kind}s/${id}`, { token: alice })).status, 404, `${caller}: the ${kind} is still there`);
          }
        }
        assert.deepEqual(failures, [], failures.join("\n"));
      });
    }
  }

  it("letsAnyUserCreateAndListButShowsEachOnlyWhatTheyMayRead", async () => {
    const bob = await svc.token("bob");
    const created = await svc.api("POST", "/v3/pods/volumes", { token: bob, body: { volume_id: "bobsvolume" } });
    assert.equal(created.status, 200, created.body.message);
    assert.deepEqual((await svc.api("GET", "/v3/pods/volumes/bobsvolume/permissions", { token: bob })).body.result.permissions, ["bob:ADMIN"]);
    const aliceSees = ((await svc.api("GET", "/v3/pods/volumes", { token: alice })).body.result as { volume_id: string }[]).map((v) => v.volume_id);
    assert.ok(!aliceSees.includes("bobsvolume"));
    const snapshot = await svc.api("POST", "/v3/pods/snapshots", { token: bob, body: { snapshot_id: "bobssnapshot", source_volume_id: "bobsvolume", source_volume_path: "/" } });
    assert.equal(snapshot.status, 200, snapshot.body.message);
    const aliceSnapshots = ((await svc.api("GET", "/v3/pods/snapshots", { token: alice })).body.result as { snapshot_id: string }[]).map((s) => s.snapshot_id);
    assert.ok(!aliceSnapshots.includes("bobssnapshot"));
  });
});
