import type { KubernetesObject, V1ConfigMap, V1Container, V1EnvVar, V1Pod, V1Probe, V1Secret, V1Service, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { DesiredPod } from "../../../gen/tapis/pods/v1/agent_service_pb.js";
import type { HealthcheckProbe, VolumeMount } from "../../../gen/tapis/pods/v1/pod_pb.js";
import { probeDefaults } from "../../../shared/healthchecks/probe-defaults.js";
import { fittedDnsLabel, labelValueOf } from "../../../shared/kubernetes/kubernetes-names.js";
import type { PodKey } from "../cluster-driver.js";
import { parseToleration, type KubernetesClusterConfig, type QueuePlacement } from "./cluster-config.js";

/**
 * Labels on every object of a pod, to select them. Label values hold at most
 * 63 characters, so ids that do not fit are cut and hashed (labelValueOf):
 * the agent computes them to select, never reads ids back from them.
 */
export const labelKeys = {
  managedBy: "app.kubernetes.io/managed-by",
  tenant: "pods.tapis.io/tenant",
  podId: "pods.tapis.io/pod-id",
  site: "pods.tapis.io/site",
  uid: "pods.tapis.io/uid",
  generation: "pods.tapis.io/generation",
} as const;

/** Annotations on every object of a pod holding its ids in full; the agent identifies its objects by them. */
export const annotationKeys = {
  tenant: "pods.tapis.io/tenant",
  podId: "pods.tapis.io/pod-id",
  site: "pods.tapis.io/site",
} as const;

export const managedBy = "tapis-pods";
export const containerName = "pod";

/** The Kubernetes objects that realise one pod. */
export interface PodObjects {
  secret: V1Secret;
  configMap: V1ConfigMap | null;
  service: V1Service | null;
  pod: V1Pod;
}

/** The names of a pod's objects by kind. */
export interface PodObjectNames {
  pod: string;
  secret: string;
  service: string;
  configMap: string;
}

/**
 * The names of a pod's objects: the name the control plane gave (fitted
 * again here in case an older control plane sent one too long), the
 * ConfigMap with a `-config` suffix (at most 70 of the 253 it may have).
 */
export function podObjectNames(desired: DesiredPod): PodObjectNames {
  const name = fittedDnsLabel(desired.objectName);
  return { pod: name, secret: name, service: name, configMap: `${name}-config` };
}

export function podLabels(desired: DesiredPod): Record<string, string> {
  return {
    [labelKeys.managedBy]: managedBy,
    [labelKeys.tenant]: labelValueOf(desired.tenantId),
    [labelKeys.podId]: labelValueOf(desired.podId),
    [labelKeys.site]: labelValueOf(desired.siteId),
    [labelKeys.uid]: desired.uid,
    [labelKeys.generation]: String(desired.generation),
  };
}

function podAnnotations(desired: DesiredPod): Record<string, string> {
  return { [annotationKeys.tenant]: desired.tenantId, [annotationKeys.podId]: desired.podId, [annotationKeys.site]: desired.siteId };
}

/** Label selector of every object of the pod `key` (and, rarely, of another whose ids hash alike: check keyOfObject). */
export function podSelector(key: PodKey): string {
  return `${labelKeys.managedBy}=${managedBy},${labelKeys.tenant}=${labelValueOf(key.tenantId)},${labelKeys.podId}=${labelValueOf(key.podId)}`;
}

/**
 * The pod an object belongs to: from its annotations, or, on objects made
 * before there were annotations, from its labels (which then held the ids
 * as they were, as short ids still do).
 */
export function keyOfObject(object: KubernetesObject): PodKey | null {
  const annotations = object.metadata?.annotations;
  const labels = object.metadata?.labels;
  const tenantId = annotations?.[annotationKeys.tenant] ?? labels?.[labelKeys.tenant];
  const podId = annotations?.[annotationKeys.podId] ?? labels?.[labelKeys.podId];
  return tenantId && podId ? { tenantId, podId } : null;
}

/**
 * Builds every object of a pod from its desired state, as pure data:
 * secrets only in the Secret (the container references them), ephemeral
 * mount contents in a ConfigMap, one Service port per networking entry.
 */
export function buildPodObjects(desired: DesiredPod, config: KubernetesClusterConfig): PodObjects {
  const name = podObjectNames(desired).pod;
  const metadata = (suffix = "") => ({ name: name + suffix, namespace: config.namespace, labels: podLabels(desired), annotations: podAnnotations(desired) });
  const ephemeral = ephemeralMounts(desired);
  const plain = ephemeral.filter((e) => !e.secret);
  const configMap: V1ConfigMap | null =
    plain.length === 0
      ? null
      : {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: metadata("-config"),
          data: Object.fromEntries(plain.map((e) => [e.key, e.mount.configContent ?? ""])),
        };
  const ports = exposedPorts(desired);
  const service: V1Service | null =
    ports.length === 0
      ? null
      : {
          apiVersion: "v1",
          kind: "Service",
          metadata: metadata(),
          spec: {
            type: "ClusterIP",
            selector: { [labelKeys.tenant]: labelValueOf(desired.tenantId), [labelKeys.podId]: labelValueOf(desired.podId), [labelKeys.managedBy]: managedBy },
            ports: ports.map(({ name, port }) => ({ name, port, targetPort: port, protocol: "TCP" })),
          },
        };
  const secretFiles = Object.fromEntries(ephemeral.filter((e) => e.secret).map((e) => [e.key, desired.secretFiles[e.path]!]));
  const secret: V1Secret = { apiVersion: "v1", kind: "Secret", metadata: metadata(), type: "Opaque", stringData: { ...desired.secretEnvironment, ...secretFiles } };
  const mounts = buildMounts(desired, config, name);
  const queue = queuePlacement(desired, config);
  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: metadata(),
    spec: {
      // Exit 0 ends the pod (COMPLETE); a crash restarts it, and a crash loop shows as ERROR.
      restartPolicy: "OnFailure",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(queue && Object.keys(queue.nodeSelector).length > 0 ? { nodeSelector: queue.nodeSelector } : {}),
      ...(queue && queue.tolerations.length > 0 ? { tolerations: queue.tolerations } : {}),
      containers: [buildContainer(desired, config, name, ports, mounts.volumeMounts)],
      ...(mounts.volumes.length > 0 ? { volumes: mounts.volumes } : {}),
    },
  };
  return { secret, configMap, service, pod };
}

/** The queue's placement as registered with the cluster, else as this agent's configuration has it. */
function queuePlacement(desired: DesiredPod, config: KubernetesClusterConfig): QueuePlacement | undefined {
  if (Object.keys(desired.nodeSelector).length > 0 || desired.tolerations.length > 0) {
    return { nodeSelector: { ...desired.nodeSelector }, tolerations: desired.tolerations.map(parseToleration) };
  }
  return config.queues[desired.computeQueue];
}

function buildContainer(
  desired: DesiredPod,
  config: KubernetesClusterConfig,
  secretName: string,
  ports: ExposedPort[],
  volumeMounts: V1VolumeMount[],
): V1Container {
  const env: V1EnvVar[] = [
    ...Object.entries(desired.environment).map(([envName, value]) => ({ name: envName, value })),
    ...Object.keys(desired.secretEnvironment).map((envName) => ({ name: envName, valueFrom: { secretKeyRef: { name: secretName, key: envName } } })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  return {
    name: containerName,
    image: desired.image,
    imagePullPolicy: config.imagePullPolicy,
    ...(desired.command.length > 0 ? { command: desired.command } : {}),
    ...(desired.arguments.length > 0 ? { args: desired.arguments } : {}),
    ...(env.length > 0 ? { env } : {}),
    ports: ports.map(({ name, port }) => ({ name, containerPort: port, protocol: "TCP" })),
    resources: buildResources(desired),
    ...(volumeMounts.length > 0 ? { volumeMounts } : {}),
    ...buildProbes(desired),
  };
}

/** The container's probes from the pod's healthchecks, unset fields with upstream's defaults. */
function buildProbes(desired: DesiredPod): Pick<V1Container, "livenessProbe" | "readinessProbe" | "startupProbe"> {
  const checks = desired.healthchecks;
  return {
    ...(checks?.liveness ? { livenessProbe: buildProbe(checks.liveness, false) } : {}),
    ...(checks?.readiness ? { readinessProbe: buildProbe(checks.readiness, true) } : {}),
    ...(checks?.startup ? { startupProbe: buildProbe(checks.startup, false) } : {}),
  };
}

/** One probe; Kubernetes takes a success threshold other than 1 only for readiness. */
function buildProbe(probe: HealthcheckProbe, readiness: boolean): V1Probe {
  const action: V1Probe =
    probe.httpGetPath !== undefined
      ? { httpGet: { path: probe.httpGetPath, port: probe.httpGetPort ?? probeDefaults.httpGetPort, scheme: probe.httpGetScheme ?? probeDefaults.httpGetScheme } }
      : probe.tcpSocketPort !== undefined
        ? { tcpSocket: { port: probe.tcpSocketPort } }
        : { exec: { command: [...probe.execCommand] } };
  return {
    ...action,
    initialDelaySeconds: probe.initialDelaySeconds ?? probeDefaults.initialDelaySeconds,
    periodSeconds: probe.periodSeconds ?? probeDefaults.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds ?? probeDefaults.timeoutSeconds,
    failureThreshold: probe.failureThreshold ?? probeDefaults.failureThreshold,
    successThreshold: readiness ? (probe.successThreshold ?? probeDefaults.successThreshold) : 1,
  };
}

function buildResources(desired: DesiredPod): V1Container["resources"] {
  const r = desired.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r?.cpuRequest !== undefined) requests.cpu = `${r.cpuRequest}m`;
  if (r?.memRequest !== undefined) requests.memory = `${r.memRequest}Mi`;
  // -1 is unlimited: no request, no limit.
  if (r?.ephemeralStorageRequest !== undefined && r.ephemeralStorageRequest >= 0) requests["ephemeral-storage"] = `${r.ephemeralStorageRequest}Mi`;
  if (r?.cpuLimit !== undefined) limits.cpu = `${r.cpuLimit}m`;
  if (r?.memLimit !== undefined) limits.memory = `${r.memLimit}Mi`;
  if (r?.ephemeralStorageLimit !== undefined && r.ephemeralStorageLimit >= 0) limits["ephemeral-storage"] = `${r.ephemeralStorageLimit}Mi`;
  if (r?.gpus) limits["nvidia.com/gpu"] = String(r.gpus);
  return { requests, limits };
}

function buildMounts(desired: DesiredPod, config: KubernetesClusterConfig, name: string): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [];
  const volumeMounts: V1VolumeMount[] = [];
  const claims = new Map<string, string>();
  const claimVolume = (claimName: string) => {
    let volumeName = claims.get(claimName);
    if (!volumeName) {
      volumeName = `claim-${claims.size}`;
      claims.set(claimName, volumeName);
      volumes.push({ name: volumeName, persistentVolumeClaim: { claimName } });
    }
    return volumeName;
  };
  const entries = Object.entries(desired.volumeMounts).sort(([a], [b]) => a.localeCompare(b));
  const ephemeral = new Map(ephemeralMounts(desired).map((e) => [e.path, e]));
  for (const [mountPath, mount] of entries) {
    switch (mount.type) {
      case "ephemeral": {
        const file = ephemeral.get(mountPath)!;
        const fileName = basename(mountPath);
        const volumeName = `config-${file.index}`;
        const items = [{ key: file.key, path: fileName }];
        // Contents that hold secret values come from the pod's Secret, never a ConfigMap.
        volumes.push(
          file.secret
            ? { name: volumeName, secret: { secretName: name, items, defaultMode: fileMode(mount) } }
            : { name: volumeName, configMap: { name: `${name}-config`, items, defaultMode: fileMode(mount) } },
        );
        volumeMounts.push({ name: volumeName, mountPath, subPath: fileName, readOnly: mount.readOnly ?? true });
        break;
      }
      case "tapisvolume":
      case "tapissnapshot": {
        const folder = mount.type === "tapisvolume" ? "volumes" : "snapshots";
        const subPath = joinPath(folder, desired.tenantId, mount.sourceId ?? "", mount.subPath);
        volumeMounts.push({ name: claimVolume(config.storageClaim), mountPath, subPath, readOnly: mount.readOnly ?? mount.type === "tapissnapshot" });
        break;
      }
      case "pvc":
        volumeMounts.push({ name: claimVolume(mount.sourceId ?? ""), mountPath, ...(mount.subPath ? { subPath: trimSlashes(mount.subPath) } : {}), readOnly: mount.readOnly ?? false });
        break;
    }
  }
  return { volumes, volumeMounts };
}

/** An ephemeral mount, where its content is kept (the Secret when it holds secret values) and under which key. */
interface EphemeralFile {
  path: string;
  mount: VolumeMount;
  index: number;
  secret: boolean;
  key: string;
}

function ephemeralMounts(desired: DesiredPod): EphemeralFile[] {
  return Object.entries(desired.volumeMounts)
    .filter(([, mount]) => mount.type === "ephemeral")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, mount], index) => {
      const secret = desired.secretFiles[path] !== undefined;
      // In the Secret, a leading "." keeps file keys apart from variable names, which cannot start with one.
      return { path, mount, index, secret, key: `${secret ? "." : ""}${configKey(index, path)}` };
    });
}

function configKey(index: number, mountPath: string): string {
  return `mount-${index}-${basename(mountPath).replace(/[^-._a-zA-Z0-9]/g, "_")}`;
}

function fileMode(mount: VolumeMount): number {
  return parseInt(mount.configPermissions ?? "0644", 8);
}

interface ExposedPort {
  name: string;
  port: number;
}

/**
 * The ports of the pod's networking entries, each once (entries may share a
 * port), named after the first entry using it: a valid IANA service name
 * (1-15 lowercase letters, digits and inner dashes, one letter at least),
 * or `p<port>` when the key makes none or one already taken.
 */
function exposedPorts(desired: DesiredPod): ExposedPort[] {
  const ports: ExposedPort[] = [];
  for (const [key, networking] of Object.entries(desired.networking)) {
    const port = networking.port ?? 5000;
    if (ports.some((exposed) => exposed.port === port)) continue;
    const fromKey = key.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 15).replace(/^-+|-+$/g, "");
    const taken = (name: string) => ports.some((exposed) => exposed.name === name);
    let name = /[a-z]/.test(fromKey) && !taken(fromKey) ? fromKey : `p${port}`;
    for (let n = 2; taken(name); n++) name = `p${port}-${n}`;
    ports.push({ port, name });
  }
  return ports;
}

function basename(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop() || "config";
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}

function joinPath(...parts: string[]): string {
  return parts.map(trimSlashes).filter(Boolean).join("/");
}
