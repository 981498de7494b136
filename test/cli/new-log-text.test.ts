import assert from "node:assert/strict";
import { newLogText } from "../../cli/logs/new-log-text.js";

describe("pods CLI: what a new reading of the logs adds", () => {
  it("givesTheTextAddedAtTheEnd", () => {
    assert.deepEqual(newLogText("a\nb\n", "a\nb\nc\n"), { text: "c\n", restarted: false });
    assert.deepEqual(newLogText("", "a\n"), { text: "a\n", restarted: false });
    assert.deepEqual(newLogText("a\n", "a\n"), { text: "", restarted: false });
  });

  it("findsWhereItLeftOffWhenTheOldestTextWasDroppedPastTheCap", () => {
    assert.deepEqual(newLogText("line 1\nline 2\nline 3\n", "line 2\nline 3\nline 4\n"), { text: "line 4\n", restarted: false });
    assert.deepEqual(newLogText("a\nb\na\nb\n", "b\na\nb\nc\n"), { text: "c\n", restarted: false });
  });

  it("givesAllOfANewInstancesLogs", () => {
    assert.deepEqual(newLogText("old 1\nold 2\n", "new 1\n"), { text: "new 1\n", restarted: true });
    assert.deepEqual(newLogText("old 1\n", ""), { text: "", restarted: true });
  });
});
