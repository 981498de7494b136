import assert from "node:assert/strict";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import Sqlite from "better-sqlite3";
import mysql from "mysql2/promise";
import { PodsService } from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { listenRpc, type RpcServer } from "../../control-plane/server/rpc-server.js";
import { startGateway, type Gateway } from "../../edge-gateway/create-gateway.js";
import { publicServices } from "../../edge-gateway/public-services.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { callApi } from "../support/rest-call.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

const never = () => new Promise<never>(() => undefined);

/** Every call the gateway makes to the control plane carries a deadline; a hung one ends in 504. */
describe("deadlines of the gateway's calls", () => {
  let stalled: RpcServer;
  let gateway: Gateway;
  const timeouts: Record<string, string | null> = {};

  before(async () => {
    // A control plane that takes every call and never answers.
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.service(PodsService, {
          getPod: (_req, ctx) => ((timeouts.getPod = ctx.requestHeader.get("grpc-timeout") ?? ctx.requestHeader.get("connect-timeout-ms")), never()),
          execPodCommands: (_req, ctx) => ((timeouts.execPodCommands = ctx.requestHeader.get("grpc-timeout") ?? ctx.requestHeader.get("connect-timeout-ms")), never()),
        }),
    });
    stalled = await listenRpc(handler, "127.0.0.1", 0, 100);
    gateway = await startGateway({
      host: "127.0.0.1",
      port: 0,
      controlPlaneUrls: [`http://127.0.0.1:${stalled.port}`],
      services: publicServices,
      json: { maxBytes: 1 << 20, maxDepth: 32 },
      timeouts: { headersMs: 5_000, bodyMs: 5_000, idleMs: 5_000 },
      shutdownGraceMs: 100,
      rpcTimeoutMs: 1_000,
      streamTimeoutMs: 60_000,
      maxUploadBytes: 1 << 20,
      spoolDir: "/tmp",
      logger: createJsonLogger({ level: "silent" }),
    });
  });
  after(async () => {
    await gateway.close();
    await stalled.close();
  });

  it("answers504WhenTheControlPlaneDoesNotAnswerInTime", async () => {
    const answer = await callApi(`http://127.0.0.1:${gateway.port}`, "GET", "/v3/pods/somepod", { token: "t" });
    assert.equal(answer.status, 504, answer.body.message);
    assert.match(answer.body.message, /did not answer within 1 s/);
    assert.equal(timeouts.getPod, "1000");
  });

  it("givesAnExecItsOwnTimeoutPlusAMargin", async () => {
    const base = `http://127.0.0.1:${gateway.port}`;
    void callApi(base, "POST", "/v3/pods/somepod/exec", { token: "t", body: { commands: ["true"], total_timeout: 7 } }).catch(() => undefined);
    await waitFor(() => timeouts.execPodCommands !== undefined);
    assert.equal(timeouts.execPodCommands, String((7 + 30) * 1000));
  });
});

/** A database that does not answer in time is a 503 naming it, not a hung request. */
describe("deadlines of database work", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService({ PODS_DATABASE_LOCK_TIMEOUT_SECONDS: "1" });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  it("answers503WhenTheDatabaseStaysLocked", async () => {
    const id = podId("locked");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, template: "neo4j" } })).status, 200);
    const release = await lockEverything(svc, id);
    try {
      const answer = await svc.api("PUT", `/v3/pods/${id}`, { token: alice, body: { description: "waits" } });
      assert.equal(answer.status, 503, answer.body.message);
      assert.match(answer.body.message, /database is busy/);
    } finally {
      await release();
    }
    assert.equal((await svc.api("PUT", `/v3/pods/${id}`, { token: alice, body: { description: "after" } })).status, 200);
  });
});

/** Holds the pod's row (MySQL) or the whole database (SQLite) from another connection. */
async function lockEverything(svc: TestService, id: string): Promise<() => Promise<void>> {
  const url = svc.service.controlPlane.db.kind === "mysql" ? (svc.service.controlPlane.db.dataSource.options as { url: string }).url : null;
  if (url) {
    const connection = await mysql.createConnection(url);
    await connection.query("START TRANSACTION");
    await connection.query("SELECT * FROM pods WHERE pod_id = ? FOR UPDATE", [id]);
    return async () => {
      await connection.query("ROLLBACK");
      await connection.end();
    };
  }
  const sqlite = new Sqlite(join(svc.dataDir, "pods.db"));
  sqlite.exec("BEGIN EXCLUSIVE");
  return async () => {
    sqlite.exec("ROLLBACK");
    sqlite.close();
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
