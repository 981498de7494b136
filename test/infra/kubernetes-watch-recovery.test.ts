import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, type CoreV1Api } from "@kubernetes/client-node";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { eventually } from "../support/eventually.js";

/**
 * The agent reaches the real API server through a proxy the test cuts and
 * restores: while cut, the agent cannot watch its pods and must say so; once
 * restored, it must see what changed meanwhile and heal it.
 */
describe("kubernetes agent cut off from the API server", function () {
  this.timeout(240_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  let scratch: ScratchNamespace | undefined;
  let namespace: string;
  let core: CoreV1Api;
  let proxy: TcpProxy | undefined;
  let dir: string | undefined;
  let svc: TestService | undefined;
  let admin: string;
  let alice: string;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-blind");
    ({ name: namespace, core } = scratch);
    const direct = new KubeConfig();
    direct.loadFromFile(kubeconfig);
    const server = new URL(direct.getCurrentCluster()!.server);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    const proxied = new KubeConfig();
    proxied.loadFromOptions({
      clusters: direct.clusters.map((cluster) => ({ ...cluster, server: `https://127.0.0.1:${proxy!.port}` })),
      users: direct.users,
      contexts: direct.contexts,
      currentContext: direct.getCurrentContext(),
    });
    dir = await mkdtemp(join(tmpdir(), "pods-blind-"));
    await writeFile(join(dir, "kubeconfig"), proxied.exportConfig());
    svc = await startTestService({
      PODS_KUBECONFIG: join(dir, "kubeconfig"),
      PODS_K8S_NAMESPACE: namespace,
      PODS_K8S_STOP_GRACE_SECONDS: "0",
      // No periodic resync: what heals the pod must be the agent noticing it can see again.
      PODS_AGENT_RESYNC_SECONDS: "0",
    });
    admin = await svc.token("admin");
    alice = await svc.token("alice");
  });
  after(async () => {
    await svc?.stop();
    await proxy?.close();
    await scratch?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const agentInView = async () => {
    const answer = await svc!.api("GET", "/v3/pods/clusters/local", { token: admin });
    assert.equal(answer.status, 200, answer.body.message);
    return answer.body.result.agents[0] as { healthy: boolean; problem: string; unhealthy_since: string | null } | undefined;
  };
  const podUid = async () => (await core.readNamespacedPod({ name: "pods-local-dev-watched", namespace }).catch(() => undefined))?.metadata?.uid;

  it("showsTheAgentUnhealthyWhileBlindAndHealsWhatChangedMeanwhile", async () => {
    const created = await svc!.api("POST", "/v3/pods", { token: alice, body: { pod_id: "watched", image: "busybox:1" } });
    assert.equal(created.status, 200, created.body.message);
    await svc!.waitForStatus(alice, "watched", "AVAILABLE", 60_000);
    const first = await podUid();
    assert.ok(first);
    assert.equal((await agentInView())?.healthy, true);

    await proxy!.cut();
    // Each watch notices the cut on its own, so the pod watch may join the problems after the others.
    const blind = await eventually("the cluster view to show the agent unhealthy, its pod watch down", async () => {
      const agent = await agentInView();
      return agent?.healthy === false && /kubernetes pod watch down since \S+: /.test(agent.problem) && agent;
    });
    assert.ok(blind.unhealthy_since, "the view says since when");
    const own = svc!.service.agent.health();
    assert.equal(own.healthy, false);
    assert.ok(own.problems.some((problem) => problem.startsWith("kubernetes pod watch down since")), JSON.stringify(own.problems));

    // Changed behind the blind agent's back.
    await core.deleteNamespacedPod({ name: "pods-local-dev-watched", namespace, gracePeriodSeconds: 0 });
    await eventually("the pod gone from the API server", async () => (await podUid()) === undefined);

    await proxy!.restore();
    const back = await eventually("the cluster view to show the agent healthy again", async () => {
      const agent = await agentInView();
      return agent?.healthy === true && agent;
    }, 90_000);
    assert.equal(back.problem, "");
    assert.equal(back.unhealthy_since, null);
    assert.deepEqual(svc!.service.agent.health(), { healthy: true, problems: [], unhealthySince: null });
    await eventually("a new Kubernetes pod in place of the deleted one", async () => {
      const uid = await podUid();
      return uid !== undefined && uid !== first;
    }, 60_000);
    await svc!.waitForStatus(alice, "watched", "AVAILABLE", 60_000);
    const logs = await svc!.api("GET", "/v3/pods/watched/logs", { token: alice });
    assert.ok(
      (logs.body.result.action_logs as string[]).some((line) => line.includes("The pod disappeared from the cluster; creating it again.")),
      JSON.stringify(logs.body.result.action_logs),
    );
  });
});
