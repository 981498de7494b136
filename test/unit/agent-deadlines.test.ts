import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { PodChangedSchema } from "../../gen/tapis/pods/v1/events_pb.js";
import { startAgent, type Agent } from "../../agent/create-agent.js";
import { SimulatedDriver } from "../../agent/drivers/simulated-driver.js";
import { clusterCommandsTopic, podEventKey } from "../../shared/events/event-bus.js";
import { InProcessEventBus } from "../../shared/events/in-process-event-bus.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { eventually } from "../support/eventually.js";

/**
 * A control plane that accepts the agent's connection and every call on it,
 * and never answers one: what a hung replica looks like to the agent.
 */
describe("agent reads of desired state from a control plane that never answers", () => {
  const sessions = new Set<ServerHttp2Session>();
  const lines: { level: string; msg: string; pod?: string; error?: string }[] = [];
  const bus = new InProcessEventBus();
  let server: Http2Server;
  let agent: Agent;

  before(async () => {
    server = createServer();
    server.on("session", (session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
    });
    // Accepted, never answered; the agent giving up resets the stream.
    server.on("stream", (stream) => stream.on("error", () => undefined));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    agent = await startAgent({
      clusterId: "c1",
      agentId: "agent-1",
      controlPlaneUrls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`],
      agentToken: "token",
      bus,
      createDriver: (sink) => new SimulatedDriver(sink, 0),
      storageDir: join(tmpdir(), `pods-agent-deadlines-${process.pid}`),
      resyncSeconds: 3_600,
      concurrency: 2,
      deadlines: { rpcMs: 300, listingMs: 600 },
      logger: createJsonLogger({ level: "warn", write: (line) => void lines.push(JSON.parse(line)) }),
    });
  });

  after(async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    for (const session of sessions) session.destroy();
    await closed;
    await agent.stop();
    await bus.close();
  });

  it("failsAPodsReadAtTheDeadlineAndRetriesItInTheWorkQueue", async () => {
    const key = podEventKey("dev", "stuck");
    const event = create(PodChangedSchema, { clusterId: "c1", tenantId: "dev", podId: "stuck", uid: "u1", generation: 1n });
    await bus.publish([{ topic: clusterCommandsTopic("c1"), key, value: toBinary(PodChangedSchema, event) }]);
    const failures = await eventually(
      "two failed reads of the pod, each ended by its deadline",
      async () => {
        const failed = lines.filter((line) => line.msg === "pod sync failed; will retry" && line.pod === key);
        return failed.length >= 2 && failed;
      },
      10_000,
    );
    for (const failure of failures) assert.match(failure.error ?? "", /deadline_exceeded/);
  });

  it("failsTheResyncListingAtItsDeadline", async () => {
    const failed = await eventually("a failed resync", async () => lines.find((line) => line.msg === "resync failed"), 10_000);
    assert.match(failed.error ?? "", /deadline_exceeded/);
  });
});
