import assert from "node:assert/strict";
import { AgentHealth, type AgentHealthState } from "../../agent/health/agent-health.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

describe("agent health", () => {
  const tracked = () => {
    const lines: { level: string; msg: string }[] = [];
    const states: AgentHealthState[] = [];
    const logger = createJsonLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
    return { health: new AgentHealth(logger, (state) => states.push(state)), lines, states };
  };

  it("isUnhealthyFromTheFirstProblemUntilEveryPartWorksAgain", () => {
    const { health, states } = tracked();
    assert.deepEqual(health.state(), { healthy: true, problems: [], unhealthySince: null });
    health.set("watch", "watch down since t0: refused");
    const since = health.state().unhealthySince;
    assert.ok(since);
    health.set("other", "other down");
    health.set("watch", "watch down since t0: timed out");
    assert.deepEqual(health.state(), { healthy: false, problems: ["watch down since t0: timed out", "other down"], unhealthySince: since });
    health.set("watch", null);
    assert.equal(health.state().healthy, false);
    health.set("other", null);
    assert.deepEqual(health.state(), { healthy: true, problems: [], unhealthySince: null });
    assert.equal(states.length, 5, "every change is told");
    health.set("other", null);
    assert.equal(states.length, 5, "no change, nothing told");
  });

  it("logsEachPartGoingDownAtWarnAndComingBackAtInfo", () => {
    const { health, lines } = tracked();
    health.set("watch", "down: refused");
    health.set("watch", "down: refused again");
    health.set("watch", null);
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg]),
      [
        ["warn", "agent part stopped working; the agent reports itself unhealthy"],
        ["info", "agent part works again"],
      ],
    );
  });
});
