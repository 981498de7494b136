import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig, type KubernetesObject, type V1Deployment } from "@kubernetes/client-node";
import { renderKustomization } from "../support/kustomize-render.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { createStrictly } from "../support/strict-create.js";

const deployFolder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "deploy");

/** deploy/ as the real API server sees it (scripts/infra/kubernetes.sh), in scratch namespaces. */
describe("deploy manifests on a real API server", function () {
  this.timeout(60_000);
  const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
  const scratches: ScratchNamespace[] = [];
  const admin = new KubeConfig();

  before(() => {
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    admin.loadFromFile(kubeconfig);
  });
  after(() => Promise.all(scratches.map((scratch) => scratch.remove())));

  const scratch = async (prefix: string, labels?: Record<string, string>) => {
    const created = await createScratchNamespace(kubeconfig!, prefix, labels);
    scratches.push(created);
    return created.name;
  };
  const render = (namespace: string, agentNamespace = namespace) => [
    ...renderKustomization(deployFolder, namespace),
    ...renderKustomization(join(deployFolder, "agent"), agentNamespace),
  ];

  it("acceptsEveryRenderedManifestWithServerSideDryRunAndStrictFieldValidation", async () => {
    const rendered = render(await scratch("pods-deploy"), await scratch("pods-deploy-agent"));
    const refused = [];
    for (const object of rendered) refused.push(await createStrictly(admin, object, true));
    assert.deepEqual(refused.filter(Boolean), []);
    assert.equal(refused.length, 12);
  });

  it("admitsThePodOfEveryDeploymentUnderPodSecurityRestricted", async () => {
    const namespace = await scratch("pods-deploy-restricted", { "pod-security.kubernetes.io/enforce": "restricted" });
    const rendered = render(namespace);
    // A Pod is admitted only when the ServiceAccount it names exists.
    for (const account of rendered.filter((o) => o.kind === "ServiceAccount")) assert.equal(await createStrictly(admin, account, false), null);
    const pods = rendered
      .filter((o): o is V1Deployment & KubernetesObject => o.kind === "Deployment")
      .map((deployment) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: deployment.metadata!.name, namespace, labels: deployment.spec!.template.metadata!.labels },
        spec: deployment.spec!.template.spec,
      }));
    const refused = [];
    for (const pod of pods) refused.push(await createStrictly(admin, pod, true));
    assert.deepEqual(refused, [null, null, null]);
  });
});
