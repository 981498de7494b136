import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type Agent } from "../../agent/create-agent.js";
import { createDriver } from "../../agent/drivers/create-driver.js";
import { startGateway, type Gateway } from "../../edge-gateway/create-gateway.js";
import { publicServices } from "../../edge-gateway/public-services.js";
import { InProcessEventBus } from "../../shared/events/in-process-event-bus.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { freePort } from "../support/processes.js";
import { startTestService, type TestService } from "../support/test-service.js";

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
};
const silent = createJsonLogger({ level: "silent" });

/** /livez and /readyz of every process, for orchestrators; readiness names what is down. */
describe("liveness and readiness of each process", () => {
  let svc: TestService;

  before(async () => {
    svc = await startTestService();
  });
  after(() => svc.stop());

  it("answersLiveAndReadyOnTheGatewayAndTheControlPlane", async () => {
    for (const base of [svc.baseUrl, svc.grpcUrl]) {
      assert.deepEqual((await get(`${base}/livez`)).status, 200, base);
      const ready = await get(`${base}/readyz`);
      assert.equal(ready.status, 200, `${base}: ${JSON.stringify(ready.body)}`);
      assert.equal(ready.body.status, "ready");
    }
    assert.deepEqual((await get(`${svc.grpcUrl}/readyz`)).body.checks, { database: "ok", event_bus: "ok" });
  });

  it("keepsTheTapisHealthcheckApart", async () => {
    const answer = await svc.api("GET", "/v3/pods/healthcheck");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.result.status, "healthy");
  });

  describe("with what they depend on down", () => {
    let gateway: Gateway;
    let agent: Agent;
    let agentHealthPort: number;
    let storageDir: string;

    before(async () => {
      const nowhere = `http://127.0.0.1:${await freePort()}`;
      gateway = await startGateway({
        host: "127.0.0.1",
        port: 0,
        controlPlaneUrls: [nowhere],
        services: publicServices,
        json: { maxBytes: 1 << 20, maxDepth: 32 },
        timeouts: { headersMs: 5_000, bodyMs: 5_000, idleMs: 5_000 },
        shutdownGraceMs: 100,
        rpcTimeoutMs: 2_000,
        streamTimeoutMs: 60_000,
        maxUploadBytes: 1 << 20,
        spoolDir: "/tmp",
        logger: silent,
      });
      agentHealthPort = await freePort();
      storageDir = await mkdtemp(join(tmpdir(), "pods-health-storage-"));
      agent = await startAgent({
        clusterId: "nowhere",
        agentId: randomUUID(),
        controlPlaneUrls: [nowhere],
        agentToken: "t",
        bus: new InProcessEventBus(),
        createDriver: (sink) => createDriver({ kind: "simulated", startupMs: 0 }, sink, silent),
        resyncSeconds: 0,
        concurrency: 1,
        deadlines: { rpcMs: 2_000, listingMs: 5_000 },
        healthPort: agentHealthPort,
        storageDir,
        logger: silent,
      });
    });
    after(async () => {
      await gateway.close();
      await agent.stop();
      await rm(storageDir, { recursive: true, force: true });
    });

    it("reportsTheGatewayLiveButNotReadyNamingTheControlPlane", async () => {
      assert.equal((await get(`http://127.0.0.1:${gateway.port}/livez`)).status, 200);
      const ready = await get(`http://127.0.0.1:${gateway.port}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: "not ready", checks: { control_plane: "unreachable" } });
    });

    it("reportsTheAgentLiveButNotReadyNamingItsSession", async () => {
      assert.equal((await get(`http://127.0.0.1:${agentHealthPort}/livez`)).status, 200);
      const ready = await get(`http://127.0.0.1:${agentHealthPort}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, "not ready");
      assert.match(ready.body.checks.control_plane_session ?? "", /not connected/);
    });
  });
});
