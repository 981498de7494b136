import assert from "node:assert/strict";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { createControlPlaneClient } from "../../agent/session/control-plane-client.js";

/**
 * An agent whose control plane runs in the same process (embedded) reads
 * its desired pods without the wire, still presenting its credential to the
 * server's interceptors; its session stream keeps the wire.
 */
describe("agent client with its control plane in process", () => {
  const seenTokens: (string | null)[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(AgentService, {
      async getDesiredPod(req) {
        return { pod: { tenantId: req.tenantId, podId: req.podId } };
      },
    });
  const checksCredential: Interceptor = (next) => async (req) => {
    seenTokens.push(req.header.get("x-pods-agent-token"));
    if (req.header.get("x-pods-agent-token") !== "agent-secret") throw new ConnectError("unknown agent", Code.Unauthenticated);
    return next(req);
  };
  // Nothing listens here: a call that took the wire would fail to connect.
  const nowhere = "http://127.0.0.1:1";

  it("readsADesiredPodInProcessWithItsCredential", async () => {
    const client = createControlPlaneClient([nowhere], "agent-secret", 2_000, [], { routes, serverInterceptors: [checksCredential] });
    const answer = await client.getDesiredPod({ clusterId: "c1", tenantId: "t1", podId: "p1" });
    assert.equal(answer.pod?.podId, "p1");
    assert.deepEqual(seenTokens, ["agent-secret"]);
  });

  it("isRefusedInProcessWhenItsCredentialIsWrong", async () => {
    const client = createControlPlaneClient([nowhere], "not-the-secret", 2_000, [], { routes, serverInterceptors: [checksCredential] });
    await assert.rejects(client.getDesiredPod({ clusterId: "c1", tenantId: "t1", podId: "p1" }), (error: unknown) => ConnectError.from(error).code === Code.Unauthenticated);
  });

  it("keepsTheWireForItsSessionStream", async () => {
    const client = createControlPlaneClient([nowhere], "agent-secret", 2_000, [], { routes, serverInterceptors: [checksCredential] });
    const session = client.session((async function* () {})());
    await assert.rejects(
      (async () => {
        for await (const _ of session) break;
      })(),
      (error: unknown) => ConnectError.from(error).code === Code.Unavailable,
    );
  });
});
