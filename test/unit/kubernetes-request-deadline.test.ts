import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { readDriverConfig } from "../../agent/config.js";
import type { ClusterDriver, PodKey } from "../../agent/drivers/cluster-driver.js";
import { createDriver } from "../../agent/drivers/create-driver.js";
import { DesiredPodSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import { EnvReader } from "../../shared/config/env-reader.js";
import { createJsonLogger } from "../../shared/logging/logger.js";

/** Fails when `promise` has not settled by `ms`: what is tested must end on its own, long before. */
function settledWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} never returned`)), ms)));
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

describe("deadlines of Kubernetes API requests", () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let dir: string;
  let driver: ClusterDriver | undefined;

  before(async () => {
    // An API server that accepts connections and never answers.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as { port: number };
    dir = await mkdtemp(join(tmpdir(), "pods-deadline-"));
    const kubeconfig = {
      apiVersion: "v1",
      kind: "Config",
      // Plain HTTP: the client allows it only without TLS verification.
      clusters: [{ name: "stalled", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
      users: [{ name: "agent", user: { token: "t" } }],
      contexts: [{ name: "stalled", context: { cluster: "stalled", user: "agent" } }],
      "current-context": "stalled",
    };
    await writeFile(join(dir, "kubeconfig"), JSON.stringify(kubeconfig));
  });
  after(async () => {
    await driver?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("failsARequestTheApiServerDoesNotAnswerInTimeSoItIsRetried", async () => {
    const vars = { PODS_KUBECONFIG: join(dir, "kubeconfig"), PODS_K8S_NAMESPACE: "pods", PODS_K8S_REQUEST_TIMEOUT_SECONDS: "1" };
    const env = new EnvReader(vars);
    const config = readDriverConfig(env, vars);
    env.done();
    const problems: (string | null)[] = [];
    const sink = { report() {}, logs() {}, requeue(_key: PodKey) {}, health: (_part: string, problem: string | null) => problems.push(problem) };

    // The first listing of the pod watch times out: the agent starts, reporting the watch down.
    driver = await settledWithin(createDriver(config, sink, createJsonLogger({ level: "silent" })), 20_000, "the first listing");
    assert.match(String(problems[0]), /kubernetes pod watch down since \S+: the Kubernetes API did not answer within 1 s/);

    // An apply times out and fails (thrown, so the work queue retries it) instead of hanging the pod's sync.
    const desired = create(DesiredPodSchema, { tenantId: "dev", siteId: "local", podId: "slow", uid: "u", generation: 1n, statusRequested: StatusRequested.ON, objectName: "pods-local-dev-slow", image: "busybox:1" });
    await assert.rejects(settledWithin(driver.apply(desired), 20_000, "the apply"), /the Kubernetes API did not answer within 1 s/);
  });
});
