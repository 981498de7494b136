import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SessionRequestSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { agentClient, writeAgentTokens } from "../support/agent-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("pod logs keep the newest 10 MB of a generated stream", () => {
  let svc: TestService;
  let jwt: string;
  const agentToken = "log-cap-test-agent-token";

  before(async () => {
    const tokens = await writeAgentTokens("log-cap", { [agentToken]: "local" });
    svc = await startTestService({ PODS_AGENT_TOKENS_FILE: tokens });
    jwt = await svc.token("alice");
    await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "chatty", template: "postgres" } });
    await svc.waitForStatus(jwt, "chatty", "AVAILABLE");
  });
  after(() => svc.stop());

  it("keepsOnlyTheNewestTenMegabytesFromALineStart", async () => {
    const agent = agentClient(svc.grpcUrl, agentToken);
    const { pod } = await agent.getDesiredPod({ tenantId: "dev", podId: "chatty" });
    const line = (n: number) => `${String(n).padStart(8, "0")} ${"x".repeat(90)}\n`;
    const linesPerChunk = 600;
    const chunks = Math.ceil((12 * 1024 * 1024) / (linesPerChunk * 100));
    async function* stream(): AsyncIterable<MessageInitShape<typeof SessionRequestSchema>> {
      yield { sequence: 0n, payload: { case: "hello", value: { clusterId: "local" } } };
      for (let c = 0; c < chunks; c++) {
        let text = "";
        for (let l = 0; l < linesPerChunk; l++) text += line(c * linesPerChunk + l);
        yield { sequence: BigInt(c + 1), payload: { case: "logs", value: { tenantId: "dev", podId: "chatty", uid: pod!.uid, text, reset: c === 0 } } };
      }
    }
    let acked = 0n;
    for await (const answer of agent.session(stream())) {
      if (answer.payload.case === "ack") acked = answer.payload.value.sequence;
      if (acked === BigInt(chunks)) break;
    }

    const logs = (await svc.api("GET", "/v3/pods/chatty/logs", { token: jwt })).body.result.logs as string;
    const size = Buffer.byteLength(logs);
    assert.ok(size <= 10 * 1024 * 1024, `kept ${size} bytes`);
    assert.ok(size > 10 * 1024 * 1024 - 200, `kept only ${size} bytes`);
    assert.ok(logs.endsWith(line(chunks * linesPerChunk - 1)), "the newest line is kept");
    assert.match(logs, /^\d{8} x{90}\n/, "the log starts at a line boundary");
  });
});
