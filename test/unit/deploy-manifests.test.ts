import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubernetesObject, V1ConfigMap, V1Container, V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { renderKustomization } from "../support/kustomize-render.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const deployFolder = join(repoRoot, "deploy");
const agentFolder = join(deployFolder, "agent");

const idOf = (object: KubernetesObject) => `${object.kind}/${object.metadata!.name}`;
const byId = (objects: KubernetesObject[]) => [...objects].sort((a, b) => idOf(a).localeCompare(idOf(b)));
const ofKind = <T>(objects: KubernetesObject[], kind: string) => objects.filter((object) => object.kind === kind) as T[];

/** The manifests of deploy/ (kustomize bases) as an operator applies them. */
describe("deploy manifests", () => {
  let service: KubernetesObject[];
  let agent: KubernetesObject[];
  let deployments: V1Deployment[];
  let configMaps: V1ConfigMap[];

  before(() => {
    service = renderKustomization(deployFolder);
    agent = renderKustomization(agentFolder, "pods-workloads");
    deployments = ofKind<V1Deployment>([...service, ...agent], "Deployment");
    configMaps = ofKind<V1ConfigMap>([...service, ...agent], "ConfigMap");
  });
  const containerOf = (name: string) => deployments.find((d) => d.metadata!.name === name)!.spec!.template.spec!.containers[0]!;
  const settingOf = (configMap: string, name: string) => configMaps.find((c) => c.metadata!.name === configMap)!.data![name];

  it("declaresTheControlPlaneGatewayAndAgentWithTheirServicesBudgetAndRole", () => {
    assert.deepEqual(byId(service).map((o) => `${idOf(o)}@${o.metadata!.namespace}`), [
      "ConfigMap/pods-control-plane@tapis-pods",
      "ConfigMap/pods-gateway@tapis-pods",
      "Deployment/pods-control-plane@tapis-pods",
      "Deployment/pods-gateway@tapis-pods",
      "PodDisruptionBudget/pods-control-plane@tapis-pods",
      "Service/pods-control-plane@tapis-pods",
      "Service/pods-gateway@tapis-pods",
    ]);
    assert.deepEqual(byId(agent).map(idOf), ["ConfigMap/pods-agent", "Deployment/pods-agent", "Role/pods-agent", "RoleBinding/pods-agent", "ServiceAccount/pods-agent"]);
  });

  it("runsEveryContainerAsNonRootOnAReadOnlyRootFilesystemWithRequestsAndLimits", () => {
    for (const deployment of deployments) {
      const pod = deployment.spec!.template.spec!;
      const name = deployment.metadata!.name;
      assert.equal(pod.securityContext?.runAsNonRoot, true, name);
      assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, name);
      assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault", name);
      for (const container of pod.containers) {
        assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }, name);
        for (const kind of ["requests", "limits"] as const) {
          assert.deepEqual(Object.keys(container.resources?.[kind] ?? {}).sort(), ["cpu", "memory"], `${name} ${kind}`);
        }
        // Writable paths are emptyDir volumes.
        for (const mount of container.volumeMounts ?? []) {
          assert.ok(pod.volumes!.find((v) => v.name === mount.name)?.emptyDir, `${name}: ${mount.mountPath} is an emptyDir`);
        }
        assert.ok(container.volumeMounts?.some((m) => m.mountPath === "/tmp"), `${name}: /tmp is writable`);
      }
    }
    const mounted = (deployment: string) => containerOf(deployment).volumeMounts!.map((m) => m.mountPath);
    assert.ok(mounted("pods-control-plane").includes(settingOf("pods-control-plane", "PODS_DATA_DIR")!));
    assert.ok(mounted("pods-gateway").includes(settingOf("pods-gateway", "PODS_UPLOAD_SPOOL_DIR")!));
  });

  it("givesKubernetesCredentialsToTheAgentAlone", () => {
    const pods = Object.fromEntries(deployments.map((d) => [d.metadata!.name, d.spec!.template.spec!]));
    assert.equal(pods["pods-control-plane"]!.automountServiceAccountToken, false);
    assert.equal(pods["pods-gateway"]!.automountServiceAccountToken, false);
    assert.equal(pods["pods-agent"]!.serviceAccountName, "pods-agent");
    const binding = agent.find((o) => o.kind === "RoleBinding") as KubernetesObject & { roleRef: { kind: string; name: string }; subjects: unknown[] };
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pods-agent" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "pods-agent", namespace: "pods-workloads" }]);
    // The agent's objects go to the namespace it runs in, which its Role covers.
    const namespaceVar = containerOf("pods-agent").env!.find((e) => e.name === "PODS_K8S_NAMESPACE");
    assert.deepEqual(namespaceVar?.valueFrom?.fieldRef, { fieldPath: "metadata.namespace" });
  });

  it("wiresProbesToTheHealthEndpointsOnThePortsEachProcessListensOn", () => {
    const listening: [string, string, string][] = [
      ["pods-control-plane", "grpc", settingOf("pods-control-plane", "PODS_GRPC_PORT")!],
      ["pods-gateway", "http", settingOf("pods-gateway", "PODS_HTTP_PORT")!],
      ["pods-agent", "health", settingOf("pods-agent", "PODS_AGENT_HEALTH_PORT")!],
    ];
    for (const [deployment, portName, port] of listening) {
      const container: V1Container = containerOf(deployment);
      assert.equal(String(container.ports!.find((p) => p.name === portName)?.containerPort), port, deployment);
      assert.deepEqual(container.livenessProbe?.httpGet, { path: "/livez", port: portName }, deployment);
      assert.deepEqual(container.readinessProbe?.httpGet, { path: "/readyz", port: portName }, deployment);
    }
    assert.equal(settingOf("pods-control-plane", "PODS_GRPC_HOST"), "0.0.0.0");
    assert.equal(settingOf("pods-gateway", "PODS_HTTP_HOST"), "0.0.0.0");
  });

  it("setsOnlySettingsTheReadmeDocumentsAndSecretsItTellsHowToCreate", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    const names = new Set([
      ...configMaps.flatMap((c) => Object.keys(c.data ?? {})),
      ...deployments.flatMap((d) => d.spec!.template.spec!.containers.flatMap((c) => (c.env ?? []).map((e) => e.name))),
    ]);
    const undocumented = [...names].filter((name) => name.startsWith("PODS_") && !table.includes(`\`${name}\``));
    assert.deepEqual(undocumented, []);

    const deploySection = readme.slice(readme.indexOf("## Deploy on Kubernetes"));
    assert.ok(readme.includes("## Deploy on Kubernetes"));
    for (const deployment of deployments) {
      for (const source of deployment.spec!.template.spec!.containers.flatMap((c) => c.envFrom ?? [])) {
        if (source.configMapRef) assert.ok(configMaps.some((c) => c.metadata!.name === source.configMapRef!.name), source.configMapRef.name);
        if (source.secretRef) assert.match(deploySection, new RegExp(`create secret generic ${source.secretRef.name} `), source.secretRef.name);
      }
    }
  });

  it("rendersAsKubectlKustomizeDoes", function () {
    let kubectl: (folder: string) => KubernetesObject[];
    try {
      execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
      kubectl = (folder) =>
        parseAllDocuments(execFileSync("kubectl", ["kustomize", folder], { encoding: "utf8" }))
          .map((document) => document.toJS() as KubernetesObject)
          .filter(Boolean);
    } catch {
      this.skip();
    }
    assert.deepEqual(byId(kubectl!(deployFolder)), byId(renderKustomization(deployFolder)));
    assert.deepEqual(byId(kubectl!(agentFolder)), byId(renderKustomization(agentFolder)));
  });
});
