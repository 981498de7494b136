import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import type { V1Pod } from "@kubernetes/client-node";
import { DesiredPodSchema } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { NetworkingSchema, PodHealthchecksSchema, PodStatus, StatusRequested } from "../../gen/tapis/pods/v1/pod_pb.js";
import type { KubernetesClusterConfig } from "../../agent/drivers/kubernetes/cluster-config.js";
import { parseToleration } from "../../agent/drivers/kubernetes/cluster-config.js";
import { buildPodObjects } from "../../agent/drivers/kubernetes/pod-objects.js";
import { seenStatus } from "../../agent/drivers/kubernetes/pod-status.js";

const config: KubernetesClusterConfig = {
  namespace: "pods",
  queues: { gpu: { nodeSelector: { accelerator: "a100" }, tolerations: [parseToleration("gpu=true:NoSchedule")] } },
  storageClaim: "pods-storage",
  fieldManager: "test",
  imagePullPolicy: "IfNotPresent",
};

const desired = create(DesiredPodSchema, {
  tenantId: "dev",
  siteId: "local",
  podId: "docpod",
  uid: "0b9d7c1e-0000-4000-8000-000000000000",
  generation: 3n,
  statusRequested: StatusRequested.ON,
  objectName: "pods-local-dev-docpod",
  image: "neo4j:5.26",
  command: ["neo4j"],
  arguments: ["console"],
  environment: { NEO4J_PLUGINS: '["apoc"]' },
  secretEnvironment: { NEO4J_AUTH: "neo4j/s3cret" },
  networking: { default: { protocol: "http", port: 7474 }, bolt: { protocol: "tcp", port: 7687 } },
  resources: { cpuRequest: 500, cpuLimit: 2000, memRequest: 1024, memLimit: 3072, gpus: 1, ephemeralStorageLimit: 2048 },
  volumeMounts: {
    "/data": { type: "tapisvolume", sourceId: "myvolume", subPath: "/neo" },
    "/backup": { type: "tapissnapshot", sourceId: "snap" },
    "/etc/app/config.ini": { type: "ephemeral", configContent: "[db]\nport=1", configPermissions: "0600" },
    "/scratch": { type: "pvc", sourceId: "scratch-claim" },
  },
  computeQueue: "gpu",
});

describe("kubernetes objects of a pod", () => {
  const objects = buildPodObjects(desired, config);

  it("namesAndLabelsEveryObjectAfterThePod", () => {
    for (const object of [objects.pod, objects.service!, objects.secret, objects.configMap!]) {
      assert.equal(object.metadata!.namespace, "pods");
      assert.equal(object.metadata!.labels!["pods.tapis.io/pod-id"], "docpod");
      assert.equal(object.metadata!.labels!["pods.tapis.io/generation"], "3");
      assert.equal(object.metadata!.labels!["app.kubernetes.io/managed-by"], "tapis-pods");
    }
    assert.equal(objects.pod.metadata!.name, "pods-local-dev-docpod");
    assert.equal(objects.configMap!.metadata!.name, "pods-local-dev-docpod-config");
  });

  it("keepsSecretsInTheSecretAndReferencesThemFromTheContainer", () => {
    const container = objects.pod.spec!.containers[0]!;
    assert.deepEqual(objects.secret.stringData, { NEO4J_AUTH: "neo4j/s3cret" });
    assert.ok(!JSON.stringify(objects.pod).includes("s3cret"));
    assert.deepEqual(container.env!.find((e) => e.name === "NEO4J_AUTH")!.valueFrom, { secretKeyRef: { name: "pods-local-dev-docpod", key: "NEO4J_AUTH" } });
    assert.equal(container.env!.find((e) => e.name === "NEO4J_PLUGINS")!.value, '["apoc"]');
  });

  it("translatesResourcesIntoKubernetesUnits", () => {
    assert.deepEqual(objects.pod.spec!.containers[0]!.resources, {
      requests: { cpu: "500m", memory: "1024Mi" },
      limits: { cpu: "2000m", memory: "3072Mi", "ephemeral-storage": "2048Mi", "nvidia.com/gpu": "1" },
    });
  });

  it("prefersThePlacementRegisteredWithTheCluster", () => {
    const registered = create(DesiredPodSchema, { ...desired, nodeSelector: { zone: "east" }, tolerations: ["dedicated:NoSchedule"] });
    const spec = buildPodObjects(registered, config).pod.spec!;
    assert.deepEqual(spec.nodeSelector, { zone: "east" });
    assert.deepEqual(spec.tolerations, [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("placesThePodByItsComputeQueue", () => {
    assert.deepEqual(objects.pod.spec!.nodeSelector, { accelerator: "a100" });
    assert.deepEqual(objects.pod.spec!.tolerations, [{ key: "gpu", operator: "Equal", value: "true", effect: "NoSchedule" }]);
  });

  it("exposesOneServicePortPerNetworkingEntry", () => {
    assert.deepEqual(
      objects.service!.spec!.ports!.map((p) => [p.name, p.port]),
      [
        ["default", 7474],
        ["bolt", 7687],
      ],
    );
    assert.deepEqual(objects.pod.spec!.containers[0]!.ports!.map((p) => p.containerPort), [7474, 7687]);
  });

  it("exposesEachEntrysPortOnceUnderAValidUniqueNameAndNothingElse", () => {
    const many = create(DesiredPodSchema, desired);
    many.networking = Object.fromEntries(Object.entries({
        default: { protocol: "http", port: 8080 },
        admin: { protocol: "http", port: 8080 },
        "8443": { protocol: "tcp", port: 8443 },
        internalmetricsexporter1: { protocol: "local_only", port: 9100 },
        internalmetricsexporter2: { protocol: "local_only", port: 9101 },
    }).map(([key, entry]) => [key, create(NetworkingSchema, entry)]));
    const objects = buildPodObjects(many, config);
    const servicePorts = objects.service!.spec!.ports!;
    const containerPorts = objects.pod.spec!.containers[0]!.ports!;
    assert.deepEqual(servicePorts.map((p) => p.port).sort(), [8080, 8443, 9100, 9101]);
    assert.deepEqual(containerPorts.map((p) => p.containerPort).sort(), [8080, 8443, 9100, 9101]);
    for (const ports of [servicePorts.map((p) => p.name!), containerPorts.map((p) => p.name!)]) {
      assert.equal(new Set(ports).size, ports.length, `names repeat: ${ports.join(", ")}`);
      // IANA service names, as Kubernetes checks them: 1-15 lowercase letters, digits and single inner dashes, one letter at least.
      for (const name of ports) assert.match(name, /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/, name);
    }
    assert.deepEqual(servicePorts.map((p) => p.targetPort), servicePorts.map((p) => p.port));
  });

  it("mountsVolumesSnapshotsClaimsAndConfigFiles", () => {
    const mounts = Object.fromEntries(objects.pod.spec!.containers[0]!.volumeMounts!.map((m) => [m.mountPath, m]));
    // Volumes and snapshots share the cluster's storage claim, one pod volume for both.
    assert.deepEqual(mounts["/data"], { name: "claim-0", mountPath: "/data", subPath: "volumes/dev/myvolume/neo", readOnly: false });
    assert.deepEqual(mounts["/backup"], { name: "claim-0", mountPath: "/backup", subPath: "snapshots/dev/snap", readOnly: true });
    assert.deepEqual(mounts["/scratch"], { name: "claim-1", mountPath: "/scratch", readOnly: false });
    assert.equal(mounts["/etc/app/config.ini"]!.subPath, "config.ini");
    const volumes = Object.fromEntries(objects.pod.spec!.volumes!.map((v) => [v.name, v]));
    assert.equal(volumes["claim-0"]!.persistentVolumeClaim!.claimName, "pods-storage");
    assert.equal(volumes["claim-1"]!.persistentVolumeClaim!.claimName, "scratch-claim");
    assert.equal(volumes["config-0"]!.configMap!.defaultMode, 0o600);
    assert.deepEqual(Object.values(objects.configMap!.data!), ["[db]\nport=1"]);
  });

  it("keepsUserContainersAwayFromClusterCredentials", () => {
    assert.equal(objects.pod.spec!.automountServiceAccountToken, false);
  });

  it("turnsHealthchecksIntoProbesWithUpstreamsDefaults", () => {
    const probed = create(DesiredPodSchema, {
      ...desired,
      healthchecks: create(PodHealthchecksSchema, {
        readiness: { httpGetPath: "/ready", successThreshold: 2 },
        liveness: { execCommand: ["cat", "/tmp/alive"], initialDelaySeconds: 30, periodSeconds: 15, timeoutSeconds: 2, failureThreshold: 6 },
        startup: { tcpSocketPort: 7687, httpGetScheme: "HTTPS" },
      }),
    });
    const container = buildPodObjects(probed, config).pod.spec!.containers[0]!;
    assert.deepEqual(container.readinessProbe, {
      httpGet: { path: "/ready", port: 5000, scheme: "HTTP" },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
      successThreshold: 2,
    });
    assert.deepEqual(container.livenessProbe, {
      exec: { command: ["cat", "/tmp/alive"] },
      initialDelaySeconds: 30,
      periodSeconds: 15,
      timeoutSeconds: 2,
      failureThreshold: 6,
      successThreshold: 1,
    });
    assert.deepEqual(container.startupProbe, { tcpSocket: { port: 7687 }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 });
    const plain = objects.pod.spec!.containers[0]!;
    assert.equal(plain.readinessProbe ?? plain.livenessProbe ?? plain.startupProbe, undefined);
  });
});

describe("status of a Kubernetes pod", () => {
  const pod = (status: V1Pod["status"], extra: Partial<V1Pod["metadata"]> = {}): V1Pod => ({ metadata: { name: "p", ...extra }, status });
  const container = (state: object, more: object = {}) => ({ name: "pod", image: "x", imageID: "", ready: false, restartCount: 0, state, ...more });

  it("isSpawningWhilePendingOrNotReady", () => {
    assert.equal(seenStatus(pod({ phase: "Pending" })).status, PodStatus.SPAWNING);
    assert.equal(seenStatus(pod({ phase: "Running", containerStatuses: [container({ running: {} })] })).status, PodStatus.SPAWNING);
  });

  it("isAvailableWhenRunningAndReady", () => {
    const seen = seenStatus(pod({ phase: "Running", containerStatuses: [container({ running: { startedAt: new Date("2026-01-01T00:00:00Z") } }, { ready: true })] }));
    assert.equal(seen.status, PodStatus.AVAILABLE);
    assert.equal(seen.startedAt?.toISOString(), "2026-01-01T00:00:00.000Z");
  });

  it("isAvailableButNotReadyWhileTheReadinessProbeOfARunningContainerFails", () => {
    const probed = (status: V1Pod["status"]): V1Pod => ({ metadata: { name: "p" }, spec: { containers: [{ name: "pod", readinessProbe: { tcpSocket: { port: 80 } } }] }, status });
    const failing = seenStatus(probed({ phase: "Running", containerStatuses: [container({ running: {} }, { started: true, ready: false })] }));
    assert.equal(failing.status, PodStatus.AVAILABLE);
    assert.equal(failing.container.ready, false);
    const ready = seenStatus(probed({ phase: "Running", containerStatuses: [container({ running: {} }, { started: true, ready: true })] }));
    assert.equal(ready.status, PodStatus.AVAILABLE);
    assert.equal(ready.container.ready, true);
    // Until the startup probe passes, Kubernetes neither runs the readiness probe nor counts the container as started.
    const starting = seenStatus(probed({ phase: "Running", containerStatuses: [container({ running: {} }, { started: false })] }));
    assert.equal(starting.status, PodStatus.SPAWNING);
    assert.equal(starting.reason, "waiting for the startup probe to pass");
  });

  it("describesTheLastTerminationOfARestartedContainer", () => {
    const seen = seenStatus(
      pod({ phase: "Running", containerStatuses: [container({ running: {} }, { ready: true, restartCount: 2, lastState: { terminated: { reason: "Error", exitCode: 137 } } })] }),
    );
    assert.equal(seen.container.restart_count, 2);
    assert.equal(seen.container.last_termination, "Error (exit code 137)");
  });

  it("isAnErrorWithTheReasonWhenTheImageCannotBePulled", () => {
    const seen = seenStatus(pod({ phase: "Pending", containerStatuses: [container({ waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image nosuch:1" } })] }));
    assert.equal(seen.status, PodStatus.ERROR);
    assert.match(seen.reason, /ImagePullBackOff: Back-off pulling image nosuch:1/);
  });

  it("namesAnOutOfMemoryCrashLoop", () => {
    const seen = seenStatus(
      pod({ phase: "Running", containerStatuses: [container({ waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 4, lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } } })] }),
    );
    assert.equal(seen.status, PodStatus.ERROR);
    assert.match(seen.reason, /CrashLoopBackOff \(the container ran out of memory: OOMKilled\)/);
    assert.equal(seen.restarts, 4);
  });

  it("isCompleteWhenSucceededAndAnErrorWhenFailed", () => {
    assert.equal(seenStatus(pod({ phase: "Succeeded" })).status, PodStatus.COMPLETE);
    const failed = seenStatus(pod({ phase: "Failed", containerStatuses: [container({ terminated: { reason: "Error", exitCode: 3 } })] }));
    assert.equal(failed.status, PodStatus.ERROR);
    assert.match(failed.reason, /Error \(exit code 3\)/);
  });

  it("isShuttingDownOnceDeletionStarted", () => {
    assert.equal(seenStatus(pod({ phase: "Running" }, { deletionTimestamp: new Date() })).status, PodStatus.SHUTTING_DOWN);
  });
});
