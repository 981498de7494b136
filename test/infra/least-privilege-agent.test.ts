import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { kubernetesAgentScenarios } from "../support/kubernetes-agent-scenarios.js";
import { renderKustomization } from "../support/kustomize-render.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { writeServiceAccountKubeconfig } from "../support/service-account-kubeconfig.js";

const agentFolder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "deploy", "agent");

/**
 * The agent with nothing but the permissions deploy/agent gives it: its
 * ServiceAccount, Role and RoleBinding are created in a scratch namespace of
 * the real API server (which authorizes with RBAC), and the agent's only
 * credential is a token of that ServiceAccount. Every scenario of the
 * kubernetes agent suite must pass with it, so a verb missing from the Role
 * fails the scenario that needs it.
 */
describe("kubernetes agent with exactly the Role of deploy/agent", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  let scratch: ScratchNamespace | undefined;
  let folder: string | undefined;
  let agentKubeconfig: string;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-rbac");
    const admin = new KubeConfig();
    admin.loadFromFile(kubeconfig);
    const objects = KubernetesObjectApi.makeApiClient(admin);
    const access = renderKustomization(agentFolder, scratch.name).filter((o) => ["ServiceAccount", "Role", "RoleBinding"].includes(o.kind!));
    assert.equal(access.length, 3);
    for (const object of access) await objects.create(object);
    folder = await mkdtemp(join(tmpdir(), "pods-rbac-"));
    agentKubeconfig = join(folder, "kubeconfig");
    await writeServiceAccountKubeconfig(kubeconfig, scratch.name, "pods-agent", agentKubeconfig);
  });
  after(async () => {
    await scratch?.remove();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("refusesTheAgentsTokenWhatTheRoleDoesNotGrant", async () => {
    const agent = new KubeConfig();
    agent.loadFromFile(agentKubeconfig);
    const core = agent.makeApiClient(CoreV1Api);
    const status = (call: Promise<unknown>) =>
      call.then(
        () => 200,
        (error: unknown) => (error instanceof ApiException ? error.code : Promise.reject(error)),
      );
    const namespace = scratch!.name;
    assert.equal(await status(core.listNamespacedPod({ namespace })), 200);
    assert.equal(await status(core.listNamespacedPod({ namespace: "default" })), 403, "other namespaces");
    assert.equal(await status(core.readNamespacedServiceAccount({ name: "pods-agent", namespace })), 403, "other kinds");
    assert.equal(await status(core.listNode()), 403, "the cluster's nodes");
    assert.equal(await status(agent.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace })), 403, "other API groups");
  });

  kubernetesAgentScenarios(() => ({ agentKubeconfig, namespace: scratch!.name, core: scratch!.core }));
});
