import assert from "node:assert/strict";
import { PartitionOffsets } from "../../shared/events/partition-offsets.js";

describe("offsets a consumer may commit while later messages are still handled", () => {
  it("commitsNothingUntilTheFirstMessageOfAPartitionIsHandled", () => {
    const offsets = new PartitionOffsets();
    offsets.started(0, "10");
    offsets.started(0, "11");
    offsets.finished(0, "11");
    assert.deepEqual(offsets.takeCommittable(), []);
    assert.equal(offsets.inFlight, 1);
  });

  it("commitsOnePastTheLastMessageOfTheRunHandledFromTheStart", () => {
    const offsets = new PartitionOffsets();
    for (const offset of ["10", "11", "12", "13"]) offsets.started(0, offset);
    offsets.finished(0, "12");
    offsets.finished(0, "10");
    assert.deepEqual(offsets.takeCommittable(), [{ partition: 0, offset: "11" }]);
    offsets.finished(0, "11");
    assert.deepEqual(offsets.takeCommittable(), [{ partition: 0, offset: "13" }]);
    assert.deepEqual(offsets.takeCommittable(), [], "an offset is handed out once");
    assert.equal(offsets.inFlight, 1);
  });

  it("keepsEachPartitionApart", () => {
    const offsets = new PartitionOffsets();
    offsets.started(0, "5");
    offsets.started(1, "7");
    offsets.finished(1, "7");
    assert.deepEqual(offsets.takeCommittable(), [{ partition: 1, offset: "8" }]);
  });

  it("countsOffsetsBeyondWhatANumberHoldsExactly", () => {
    const offsets = new PartitionOffsets();
    offsets.started(2, "9007199254740993");
    offsets.finished(2, "9007199254740993");
    assert.deepEqual(offsets.takeCommittable(), [{ partition: 2, offset: "9007199254740994" }]);
  });

  it("forgetsEverythingOfAnEarlierAssignmentWhenTheGroupRebalances", () => {
    const offsets = new PartitionOffsets();
    offsets.started(0, "1");
    offsets.started(0, "2");
    const before = offsets.generation;
    offsets.reset();
    // The broker hands the partition out again from its committed offset: the same offsets come again.
    offsets.started(0, "1");
    offsets.finished(0, "2", before);
    offsets.finished(0, "1", before);
    assert.deepEqual(offsets.takeCommittable(), [], "handlers of the earlier assignment finish without effect");
    offsets.finished(0, "1");
    assert.deepEqual(offsets.takeCommittable(), [{ partition: 0, offset: "2" }]);
  });
});
