import assert from "node:assert/strict";
import { kubernetesAgentScenarios } from "../support/kubernetes-agent-scenarios.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";

/**
 * The kubernetes driver against a real API server (scripts/infra/kubernetes.sh:
 * kube-apiserver, scheduler, controller manager, etcd, kwok simulating a node),
 * with the cluster administrator's kubeconfig.
 */
describe("kubernetes agent against a real API server", function () {
  this.timeout(120_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  let scratch: ScratchNamespace | undefined;

  before(async () => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    scratch = await createScratchNamespace(kubeconfig, "pods-test");
  });
  after(() => scratch?.remove());

  kubernetesAgentScenarios(() => ({ agentKubeconfig: kubeconfig!, namespace: scratch!.name, core: scratch!.core }));
});
