import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { startTestService, type TestService } from "../support/test-service.js";
import { rawRequest, storedFolder, uploadFile, waitForStorageStatus } from "../support/volume-files.js";

const minute = 60_000;
const day = 24 * 60 * minute;

/** "nightly" + the run's UTC time as yyyymmddhhmm. */
function datedId(scheduleId: string, at: number): string {
  return scheduleId + new Date(at).toISOString().replace(/[-:T]/g, "").slice(0, 12);
}

/**
 * A snapshot with a cron schedule makes a new, dated snapshot at each time
 * the expression names, and its retention policy prunes them. The control
 * plane's clock is the test's: it moves time, then runs the upkeep pass the
 * control plane runs periodically, so each run is on time to the minute.
 */
describe("snapshot schedules and retention, on a fast clock", function () {
  this.timeout(60_000);
  let svc: TestService;
  let alice: string;
  let clock: number;
  /** xx:02 of the current hour: the next run of every five minutes is xx:05. */
  const base = Math.floor(Date.now() / (60 * minute)) * 60 * minute + 2 * minute;

  before(async () => {
    clock = base;
    // The upkeep timer stays out of the way; the test runs its passes.
    svc = await startTestService({ PODS_STORAGE_UPKEEP_SECONDS: "3600" }, { now: () => clock });
    alice = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods/volumes", { token: alice, body: { volume_id: "schedvol" } })).status, 200);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/volumes/schedvol", "AVAILABLE");
    await write("version 1\n");
  });
  after(() => svc.stop());

  const write = async (text: string) => assert.equal((await uploadFile(svc.baseUrl, alice, "/v3/pods/volumes/schedvol/upload/data/a.txt", Buffer.from(text))).status, 200);
  const pass = async (at: number) => {
    clock = at;
    assert.equal(await svc.service.controlPlane.upkeep.runOnce(), true, "this replica holds the upkeep lease");
  };
  /** The ids of the snapshots the schedule made, sorted. */
  const madeBySchedule = async () =>
    ((await svc.api("GET", "/v3/pods/snapshots", { token: alice })).body.result as { snapshot_id: string }[])
      .map((s) => s.snapshot_id)
      .filter((id) => id.startsWith("nightly") && id !== "nightly")
      .sort();

  it("makesTheFirstCopyAtOnceAndNoneBeforeTheFirstTimeTheExpressionNames", async () => {
    const created = await svc.api("POST", "/v3/pods/snapshots", {
      token: alice,
      body: { snapshot_id: "nightly", source_volume_id: "schedvol", source_volume_path: "/data", cron: "*/5 * * * *", retention_policy: "keep:2" },
    });
    assert.equal(created.status, 200, created.body.message);
    await waitForStorageStatus(svc.api, alice, "/v3/pods/snapshots/nightly", "AVAILABLE");
    await pass(base + 2 * minute + 59_000);
    assert.deepEqual(await madeBySchedule(), []);
  });

  it("firesOnTimeWithANewDatedCopyOfTheSourceAsItIsThen", async () => {
    await write("version 2\n");
    const at = base + 3 * minute;
    await pass(at);
    const id = datedId("nightly", at);
    assert.deepEqual(await madeBySchedule(), [id]);
    const made = await waitForStorageStatus(svc.api, alice, `/v3/pods/snapshots/${id}`, "AVAILABLE");
    assert.equal(made.cron, "");
    assert.equal(made.source_volume_id, "schedvol");
    assert.equal(made.source_volume_path, "/data");
    assert.match(made.description, /^Made by the schedule of snapshot 'nightly' at /);
    assert.equal((await rawRequest(svc.baseUrl, "GET", `/v3/pods/snapshots/${id}/contents/data/a.txt`, { token: alice })).body.toString(), "version 2\n");
    assert.deepEqual((await svc.api("GET", `/v3/pods/snapshots/${id}/permissions`, { token: alice })).body.result.permissions, ["alice:ADMIN"]);
  });

  it("makesOneCopyForRunsMissedWhileNothingRanNotOnePerMissedRun", async () => {
    await pass(base + 25 * minute + 10_000);
    const expected = [datedId("nightly", base + 3 * minute), datedId("nightly", base + 23 * minute)];
    assert.deepEqual(await madeBySchedule(), expected);
    await pass(base + 25 * minute + 30_000);
    assert.deepEqual(await madeBySchedule(), expected, "a second pass in the same minute makes nothing");
  });

  it("keepsOnlyTheNewestCopiesItsRetentionPolicyKeeps", async () => {
    const first = datedId("nightly", base + 3 * minute);
    await pass(base + 28 * minute);
    assert.deepEqual(await madeBySchedule(), [datedId("nightly", base + 23 * minute), datedId("nightly", base + 28 * minute)]);
    assert.equal((await svc.api("GET", `/v3/pods/snapshots/${first}`, { token: alice })).status, 404);
    assert.ok(!existsSync(storedFolder(svc.dataDir, "snapshots", "dev", first)), "the pruned copy's folder is gone");
    assert.equal((await svc.api("GET", "/v3/pods/snapshots/nightly", { token: alice })).status, 200, "the schedule itself is never pruned");
  });

  it("prunesCopiesOlderThanItsDays", async () => {
    const updated = await svc.api("PUT", "/v3/pods/snapshots/nightly", { token: alice, body: { retention_policy: "days:1" } });
    assert.equal(updated.status, 200, updated.body.message);
    const later = base + 2 * day + 3 * minute;
    await pass(later);
    assert.deepEqual(await madeBySchedule(), [datedId("nightly", later)]);
  });

  it("keepsPruningWhatItMadeAfterTheCronIsClearedAndMakesNoMore", async () => {
    const made = await madeBySchedule();
    assert.equal((await svc.api("PUT", "/v3/pods/snapshots/nightly", { token: alice, body: { cron: "" } })).status, 200);
    await pass(base + 2 * day + 30 * minute);
    assert.deepEqual(await madeBySchedule(), made, "no new copy, and the last one is not a day old");
    await pass(base + 3 * day + 4 * minute);
    assert.deepEqual(await madeBySchedule(), [], "days:1 still prunes it");
  });
});
