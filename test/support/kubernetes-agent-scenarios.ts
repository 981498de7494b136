import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { rawRequest } from "./volume-files.js";
import type { CoreV1Api, V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { eventually } from "./eventually.js";
import { metricValue } from "./metric-values.js";
import { setContainerStatus as setKubeletStatus } from "./kubelet-status.js";
import { startTestService, type TestService } from "./test-service.js";

/** Where the scenarios run. */
export interface AgentCluster {
  /** The only credentials the service's agent gets. */
  agentKubeconfig: string;
  /** The namespace the agent creates every pod's objects in. */
  namespace: string;
  /** An administrator's view of that namespace, to check what the agent did. */
  core: CoreV1Api;
}

/**
 * The kubernetes driver's scenarios against a real API server
 * (scripts/infra/kubernetes.sh: kwok simulates the node): a pod's objects
 * created and reported AVAILABLE, stop/start/restart, logs, exec, upload,
 * an image that cannot be pulled, a file mounted from a ConfigMap, probes
 * and readiness gating the edge, a failing liveness probe, delete, and
 * removal of objects no pod wants. Declared inside the caller's describe;
 * `cluster` is read in a before hook, after the caller's own hooks ran.
 */
export function kubernetesAgentScenarios(cluster: () => AgentCluster): void {
  const objectName = (podId: string) => `pods-local-dev-${podId}`;

  describe("a pod's life on the cluster", () => {
    let namespace: string;
    let core: CoreV1Api;
    let svc: TestService;
    let jwt: string;

    before(async () => {
      const given = cluster();
      ({ namespace, core } = given);
      // registry.invalid/ images are kwok's way to fail a pull; the suite allows them to see that failure.
      svc = await startTestService({
        PODS_KUBECONFIG: given.agentKubeconfig,
        PODS_K8S_NAMESPACE: namespace,
        PODS_K8S_STOP_GRACE_SECONDS: "0",
        PODS_ALLOWED_IMAGES: "docker.io/library/*,registry.invalid/*",
      });
      jwt = await svc.token("alice");
    });
    after(() => svc?.stop());

    const readPod = (podId: string) => core.readNamespacedPod({ name: objectName(podId), namespace });
    const podIfAny = (podId: string) => readPod(podId).catch(() => undefined);
    const podExists = async (podId: string) => (await podIfAny(podId)) !== undefined;

    it("createsThePodServiceAndSecretOfANeo4jPodAndReportsItAvailable", async () => {
      const created = await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "graph", template: "neo4j" } });
      assert.equal(created.status, 200, created.body.message);
      const available = await svc.waitForStatus(jwt, "graph", "AVAILABLE", 60_000);
      assert.equal(available.body.result.status_container.node, "kwok-node-0");

      // Plain JSON: the client returns model class instances.
      const pod: V1Pod = JSON.parse(JSON.stringify(await readPod("graph")));
      const container = pod.spec!.containers[0]!;
      assert.equal(container.image, "neo4j:5.26");
      assert.deepEqual(container.ports!.map((p) => p.containerPort).sort(), [7474, 7687]);
      // The API server normalises quantities (1024Mi is 1Gi).
      assert.deepEqual(container.resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "3Gi" } });
      const auth = container.env!.find((e) => e.name === "NEO4J_AUTH")!;
      assert.deepEqual(auth.valueFrom?.secretKeyRef, { name: objectName("graph"), key: "NEO4J_AUTH" });
      assert.equal(pod.metadata!.labels!["pods.tapis.io/pod-id"], "graph");
      assert.equal(pod.metadata!.labels!["pods.tapis.io/tenant"], "dev");

      const service = await core.readNamespacedService({ name: objectName("graph"), namespace });
      assert.deepEqual(service.spec!.ports!.map((p) => [p.name, p.port]).sort(), [["bolt", 7687], ["default", 7474]]);
      const secret = await core.readNamespacedSecret({ name: objectName("graph"), namespace });
      const credentials = await svc.api("GET", "/v3/pods/graph/credentials", { token: jwt });
      assert.equal(Buffer.from(secret.data!.NEO4J_AUTH!, "base64").toString(), `neo4j/${credentials.body.result.user_password}`);
    });

    it("stopRemovesTheKubernetesPodButKeepsTheRecordAndStartRecreatesIt", async () => {
      await svc.api("GET", "/v3/pods/graph/stop", { token: jwt });
      await svc.waitForStatus(jwt, "graph", "STOPPED", 60_000);
      assert.equal(await podExists("graph"), false);
      assert.equal((await svc.api("GET", "/v3/pods/graph", { token: jwt })).status, 200);

      await svc.api("GET", "/v3/pods/graph/start", { token: jwt });
      await svc.waitForStatus(jwt, "graph", "AVAILABLE", 60_000);
      assert.equal(await podExists("graph"), true);
    });

    it("restartReplacesTheKubernetesPod", async () => {
      const before = (await readPod("graph")).metadata!.uid;
      await svc.api("GET", "/v3/pods/graph/restart", { token: jwt });
      await eventually("a new Kubernetes pod", async () => {
        const uid = (await podIfAny("graph"))?.metadata?.uid;
        return uid !== undefined && uid !== before;
      });
      await svc.waitForStatus(jwt, "graph", "AVAILABLE", 60_000);
    });

    it("followsTheContainerOutputIntoThePodLogs", async function () {
      const logFile = process.env.PODS_TEST_KWOK_LOG_FILE;
      assert.ok(logFile, "PODS_TEST_KWOK_LOG_FILE must name the file kwok serves as every container's output");
      const marker = `hello from the container ${randomBytes(4).toString("hex")}`;
      await appendFile(logFile, `${new Date().toISOString()} stdout F ${marker}\n`);
      const logs = await eventually("the marker in the pod logs", async () => {
        const answer = await svc.api("GET", "/v3/pods/graph/logs", { token: jwt });
        return (answer.body.result.logs as string).includes(marker) && answer.body.result;
      });
      assert.ok(!logs.logs.includes(" stdout F "), "timestamps and stream tags are stripped");
    });

    it("runsCommandsInTheContainerThroughTheApiServer", async () => {
      const ok = await svc.api("POST", "/v3/pods/graph/exec", { token: jwt, body: { commands: [["echo", "hello"], "echo $KWOK_SIMULATED_POD"] } });
      assert.equal(ok.status, 200, ok.body.message);
      assert.deepEqual(ok.body.result.results.map((r: { output: string }) => r.output), ["hello\n", "true\n"]);
      const failing = await svc.api("POST", "/v3/pods/graph/exec", { token: jwt, body: { commands: [["sh", "-c", "echo oops; exit 3"], ["echo", "never"]] } });
      assert.equal(failing.status, 409);
      assert.match(failing.body.message, /command 1 of 2 \(sh -c echo oops; exit 3\) exited with code 3; output: oops/);
      const tolerated = await svc.api("POST", "/v3/pods/graph/exec", { token: jwt, body: { commands: [["sh", "-c", "exit 3"], ["echo", "still"]], fail_on_non_success: false } });
      assert.equal(tolerated.status, 200);
      assert.deepEqual(tolerated.body.result.results.map((r: { exit_code: number }) => r.exit_code), [3, 0]);
      assert.equal(tolerated.body.result.success, false);
      // Every command that ran is in the audit, the failing ones with their exit codes; the one never run is not.
      const audit = await svc.api("GET", "/v3/pods/graph/exec-audit", { token: jwt });
      assert.equal(audit.status, 200, audit.body.message);
      const ran = audit.body.result.map((e: { command: string[]; exit_code: number; bytes_out: number }) => [e.command.join(" "), e.exit_code, e.bytes_out]);
      assert.deepEqual(ran.slice(0, 5), [
        ["echo still", 0, 6],
        ["sh -c exit 3", 3, 0],
        ["sh -c echo oops; exit 3", 3, 5],
        ["/bin/sh -c echo $KWOK_SIMULATED_POD", 0, 5],
        ["echo hello", 0, 6],
      ]);
    });

    it("streamsAnUploadIntoTheContainer", async () => {
      // kwok runs a pod's commands on this machine, so the file lands in this machine's /tmp.
      const destPath = join(tmpdir(), `pods-kwok-upload-${randomBytes(4).toString("hex")}`);
      const content = randomBytes(3 * 1024 * 1024 + 17);
      const form = new FormData();
      form.append("file", new Blob([content]), "data.bin");
      form.append("dest_path", destPath);
      const response = await fetch(`${svc.baseUrl}/v3/pods/graph/upload_to_pod`, { method: "POST", body: form, headers: { "X-Tapis-Token": jwt } });
      const answer = (await response.json()) as { result: unknown; message: string };
      assert.equal(response.status, 200, answer.message);
      assert.deepEqual(answer.result, { uploaded: destPath });
      assert.equal(answer.message, `Wrote ${content.length} bytes to ${destPath}.`);
      assert.ok((await readFile(destPath)).equals(content), "the file in the container holds exactly the uploaded bytes");
      await rm(destPath, { force: true });
    });

    describe("files in the container", () => {
      // kwok runs a pod's commands on this machine, so the pod's files are this machine's.
      let dir: string;
      before(async () => {
        dir = await mkdtemp(join(tmpdir(), "pods-kwok-files-"));
        const created = await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "filer", image: "docker.io/library/busybox:1" } });
        assert.equal(created.status, 200, created.body.message);
        await svc.waitForStatus(jwt, "filer", "AVAILABLE", 60_000);
      });
      after(async () => {
        await svc.api("DELETE", "/v3/pods/filer", { token: jwt });
        await rm(dir, { recursive: true, force: true });
      });

      const list = (path: string) => svc.api("GET", `/v3/pods/filer/list_files?path=${encodeURIComponent(path)}`, { token: jwt });
      const download = (path: string, query = "") => rawRequest(svc.baseUrl, "GET", `/v3/pods/filer/download_from_pod?path=${encodeURIComponent(path)}${query}`, { token: jwt });
      const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

      it("listsAFolderWithEachEntrysTypeSizeOwnerPermissionsAndModificationTime", async () => {
        const listed = join(dir, "listed");
        await mkdir(listed);
        await writeFile(join(listed, "a.txt"), "hello");
        await chmod(join(listed, "a.txt"), 0o640);
        const when = new Date("2025-05-05T05:05:05Z");
        await utimes(join(listed, "a.txt"), when, when);
        await mkdir(join(listed, "sub"));
        await chmod(join(listed, "sub"), 0o750);
        await symlink("a.txt", join(listed, "link"));
        await writeFile(join(listed, "two words"), "");
        await writeFile(join(listed, "new\nline"), "x");
        await writeFile(join(listed, ".hidden"), "12");

        const answer = await list(listed);
        assert.equal(answer.status, 200, answer.body.message);
        assert.equal(answer.body.message, `Successfully listed files in ${listed}`);
        const { path, files, count } = answer.body.result;
        assert.equal(path, listed);
        assert.equal(count, 6);
        const owner = userInfo().username;
        const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();
        const byName = new Map((files as Record<string, unknown>[]).map((f) => [f.name as string, f]));
        assert.deepEqual([...byName.keys()].sort(), [".hidden", "a.txt", "link", "new\nline", "sub", "two words"]);
        assert.deepEqual(byName.get("a.txt"), {
          name: "a.txt",
          path: `${listed}/a.txt`,
          type: "file",
          size: 5,
          owner,
          group,
          nativePermissions: "-rw-r-----",
          lastModified: "2025-05-05T05:05:05.000Z",
          mimeType: null,
        });
        assert.deepEqual([byName.get("sub")!.type, byName.get("sub")!.nativePermissions], ["dir", "drwxr-x---"]);
        assert.deepEqual([byName.get("link")!.type, byName.get("link")!.nativePermissions], ["symbolic_link", "lrwxrwxrwx"]);
        assert.deepEqual([byName.get("two words")!.size, byName.get("new\nline")!.size, byName.get(".hidden")!.size], [0, 1, 2]);

        const one = await list(join(listed, "a.txt"));
        assert.equal(one.status, 200, one.body.message);
        assert.deepEqual(one.body.result.files.map((f: { name: string; size: number }) => [f.name, f.size]), [["a.txt", 5]]);
        const workingDirectory = await svc.api("GET", "/v3/pods/filer/list_files", { token: jwt });
        assert.equal(workingDirectory.status, 200, workingDirectory.body.message);
        assert.equal(workingDirectory.body.result.path, ".");

        const missing = await list(join(listed, "missing"));
        assert.equal(missing.status, 404);
        assert.equal(missing.body.message, `file '${join(listed, "missing")}' not found in pod 'filer'`);
      });

      it("downloadsAFileByteForByteInWindowsLargerThanOne", async () => {
        // Larger than the 8 MiB window between agent and control plane, so the transfer must wait for acknowledgements.
        const content = randomBytes(20 * 1024 * 1024 + 13);
        const file = join(dir, "big.bin");
        await writeFile(file, content);
        const answer = await download(file);
        assert.equal(answer.status, 200, answer.json?.message);
        assert.equal(answer.headers["content-type"], "application/octet-stream");
        assert.equal(answer.headers["content-length"], String(content.length));
        assert.equal(answer.headers["content-disposition"], 'attachment; filename="big.bin"');
        assert.equal(sha256(answer.body), sha256(content));
      });

      it("downloadsAFolderAsAZipLeavingOutLinksAndNamesAnUnzipCouldMisread", async () => {
        const tree = join(dir, "tree");
        await mkdir(join(tree, "sub"), { recursive: true });
        const a = randomBytes(300_000);
        await writeFile(join(tree, "a.bin"), a);
        await writeFile(join(tree, "sub", "b.txt"), "inner\n");
        await writeFile(join(tree, "back\\slash"), "would be a folder elsewhere");
        await symlink("/etc/passwd", join(tree, "sub", "passwd"));

        const answer = await download(tree);
        assert.equal(answer.status, 200, answer.json?.message);
        assert.equal(answer.headers["content-type"], "application/zip");
        assert.equal(answer.headers["content-disposition"], 'attachment; filename="tree.zip"');
        const unpacked = await mkdtemp(join(tmpdir(), "pods-kwok-zip-"));
        try {
          await writeFile(join(unpacked, "tree.zip"), answer.body);
          const entries = execFileSync("unzip", ["-Z1", join(unpacked, "tree.zip")], { encoding: "utf8" }).trim().split("\n").sort();
          assert.deepEqual(entries, ["tree/", "tree/a.bin", "tree/sub/", "tree/sub/b.txt"]);
          assert.equal(sha256(execFileSync("unzip", ["-p", join(unpacked, "tree.zip"), "tree/a.bin"])), sha256(a));
          assert.equal(execFileSync("unzip", ["-p", join(unpacked, "tree.zip"), "tree/sub/b.txt"], { encoding: "utf8" }), "inner\n");
        } finally {
          await rm(unpacked, { recursive: true, force: true });
        }
        const zippedFile = await download(join(tree, "sub", "b.txt"), "&zip=true");
        assert.equal(zippedFile.headers["content-type"], "application/zip");
        assert.equal(zippedFile.headers["content-disposition"], 'attachment; filename="b.txt.zip"');
      });

      it("answers404ForAMissingFileAnd400ForOneThatIsNeitherFileNorFolder", async () => {
        const missing = await download(join(dir, "nothing-here"));
        assert.equal(missing.status, 404);
        assert.equal(missing.json?.message, `file '${join(dir, "nothing-here")}' not found in pod 'filer'`);
        const device = await download("/dev/null");
        assert.equal(device.status, 400);
        assert.equal(device.json?.message, "path: '/dev/null' is neither a regular file nor a folder");
      });
    });

    it("reportsAnImageThatCannotBePulledAsAnErrorWithTheReason", async () => {
      // The test cluster's kwok fails every image under registry.invalid/ with ErrImagePull.
      await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "nosuchimage", image: "registry.invalid/no-such-image:1" } });
      const failed = await svc.waitForStatus(jwt, "nosuchimage", "ERROR", 60_000);
      assert.equal(failed.body.result.status_container.waiting, "ErrImagePull");
      const logs = await svc.api("GET", "/v3/pods/nosuchimage/logs", { token: jwt });
      assert.ok(
        logs.body.result.action_logs.some((line: string) => /ErrImagePull: failed to pull image "registry.invalid\/no-such-image:1"/.test(line)),
        JSON.stringify(logs.body.result.action_logs),
      );
      await svc.api("DELETE", "/v3/pods/nosuchimage", { token: jwt });
    });

    it("mountsAnEphemeralFileFromAConfigMapOfThePod", async () => {
      const created = await svc.api("POST", "/v3/pods", {
        token: jwt,
        body: { pod_id: "configured", image: "busybox:1", volume_mounts: { "/etc/app/app.ini": { type: "ephemeral", config_content: "[db]\nport=1" } } },
      });
      assert.equal(created.status, 200, created.body.message);
      await svc.waitForStatus(jwt, "configured", "AVAILABLE", 60_000);
      const configMap = await core.readNamespacedConfigMap({ name: `${objectName("configured")}-config`, namespace });
      assert.deepEqual(Object.values(configMap.data ?? {}), ["[db]\nport=1"]);
      const mount = (await readPod("configured")).spec!.containers[0]!.volumeMounts!.find((m) => m.mountPath === "/etc/app/app.ini");
      assert.equal(mount?.subPath, "app.ini");
      assert.equal((await svc.api("DELETE", "/v3/pods/configured", { token: jwt })).status, 200);
    });

    const setContainerStatus = (podId: string, ready: boolean, more: Partial<V1ContainerStatus> = {}) => setKubeletStatus(core, namespace, objectName(podId), ready, more);
    const edgeHosts = async (): Promise<string[]> => (await fetch(`${svc.baseUrl}/v3/traefik-config`).then((r) => r.text())).match(/Host\(`[a-z0-9.-]+`\)/g) ?? [];
    const actionLogs = async (podId: string) => (await svc.api("GET", `/v3/pods/${podId}/logs`, { token: jwt })).body.result.action_logs as string[];

    it("givesTheContainerItsProbesAndRoutesThePodOnlyWhileKubernetesReportsItReady", async () => {
      const healthchecks = {
        readiness: { http_get_path: "/ready", http_get_port: 8080, initial_delay_seconds: 1, period_seconds: 2 },
        liveness: { exec_command: ["cat", "/tmp/alive"], failure_threshold: 5 },
        startup: { tcp_socket_port: 8080, failure_threshold: 30 },
      };
      const created = await svc.api("POST", "/v3/pods", { token: jwt, body: { pod_id: "probed", image: "busybox:1", networking: { default: { port: 8080 } }, healthchecks } });
      assert.equal(created.status, 200, created.body.message);
      await svc.waitForStatus(jwt, "probed", "AVAILABLE", 60_000);
      const container = (JSON.parse(JSON.stringify(await readPod("probed"))) as V1Pod).spec!.containers[0]!;
      assert.deepEqual(container.readinessProbe, { httpGet: { path: "/ready", port: 8080, scheme: "HTTP" }, initialDelaySeconds: 1, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 });
      assert.deepEqual(container.livenessProbe, { exec: { command: ["cat", "/tmp/alive"] }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5, successThreshold: 1 });
      assert.deepEqual(container.startupProbe, { tcpSocket: { port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30, successThreshold: 1 });
      const host = "Host(`probed.pods.dev.localhost`)";
      await eventually("the ready pod in the edge configuration", async () => (await edgeHosts()).includes(host));

      await setContainerStatus("probed", false);
      const notReady = await eventually("the pod reported not ready", async () => {
        const pod = (await svc.api("GET", "/v3/pods/probed", { token: jwt })).body.result;
        return pod.status_container.ready === false && pod;
      });
      assert.equal(notReady.status, "AVAILABLE");
      assert.equal(notReady.networking_live, false);
      assert.ok(!(await edgeHosts()).includes(host), "a pod that is not ready is not routed");
      assert.ok((await actionLogs("probed")).some((line) => line.endsWith("Container not ready: its readiness probe does not pass.")));

      await setContainerStatus("probed", true);
      await eventually("the pod live again", async () => (await svc.api("GET", "/v3/pods/probed", { token: jwt })).body.result.networking_live === true);
      assert.ok((await edgeHosts()).includes(host));
      assert.ok((await actionLogs("probed")).some((line) => line.endsWith("Container ready: its readiness probe passes.")));
    });

    it("showsAFailingLivenessProbeInTheStatusAndTheActionLog", async () => {
      const pod = await readPod("probed");
      const message = "Liveness probe failed: cat: can't open '/tmp/alive': No such file or directory";
      // What the kubelet records when the probe fails, then restarts the container.
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${objectName("probed")}.${randomBytes(6).toString("hex")}`, namespace },
          involvedObject: { kind: "Pod", name: objectName("probed"), namespace, uid: pod.metadata!.uid, apiVersion: "v1", fieldPath: "spec.containers{pod}" },
          reason: "Unhealthy",
          message,
          type: "Warning",
          count: 5,
          firstTimestamp: new Date(),
          lastTimestamp: new Date(),
          source: { component: "kubelet", host: "kwok-node-0" },
        },
      });
      await setContainerStatus("probed", true, { restartCount: 1, lastState: { terminated: { reason: "Error", exitCode: 137, startedAt: new Date(), finishedAt: new Date() } } });
      const shown = await eventually("the liveness failure in the status", async () => {
        const result = (await svc.api("GET", "/v3/pods/probed", { token: jwt })).body.result;
        return result.status_container.last_probe_failure === message && result.status_container.restart_count === 1 && result;
      });
      assert.equal(shown.status_container.last_termination, "Error (exit code 137)");
      const logs = await actionLogs("probed");
      assert.ok(logs.some((line) => line.endsWith(`${message}.`)), JSON.stringify(logs));
      assert.ok(logs.some((line) => line.includes("Container restarted (1 restarts so far).")), JSON.stringify(logs));
      assert.equal((await svc.api("DELETE", "/v3/pods/probed", { token: jwt })).status, 200);
    });

    it("deleteRemovesEveryObject", async () => {
      await svc.api("DELETE", "/v3/pods/graph", { token: jwt });
      await eventually("every object of every deleted pod gone", async () => {
        const [pods, services, secrets, configMaps] = await Promise.all([
          core.listNamespacedPod({ namespace, labelSelector: "pods.tapis.io/pod-id" }),
          core.listNamespacedService({ namespace, labelSelector: "pods.tapis.io/pod-id" }),
          core.listNamespacedSecret({ namespace, labelSelector: "pods.tapis.io/pod-id" }),
          core.listNamespacedConfigMap({ namespace, labelSelector: "pods.tapis.io/pod-id" }),
        ]);
        return pods.items.length + services.items.length + secrets.items.length + configMaps.items.length === 0;
      });
    });
  });

  describe("objects that the agent keeps as they should be", () => {
    let svc: TestService | undefined;
    afterEach(() => svc?.stop());
    const writes = async (service: TestService) =>
      (await metricValue(service.baseUrl, "pods_kubernetes_request_duration_seconds_count", { verb: "apply" })) +
      (await metricValue(service.baseUrl, "pods_kubernetes_request_duration_seconds_count", { verb: "delete" }));

    it("writesNothingWhenAResyncFindsEveryObjectAsItShouldBe", async () => {
      const { agentKubeconfig, namespace } = cluster();
      const started = await startTestService({ PODS_KUBECONFIG: agentKubeconfig, PODS_K8S_NAMESPACE: namespace, PODS_AGENT_RESYNC_SECONDS: "1" });
      svc = started;
      const token = await started.token("alice");
      assert.equal((await started.api("POST", "/v3/pods", { token, body: { pod_id: "steady", template: "neo4j" } })).status, 200);
      await started.waitForStatus(token, "steady", "AVAILABLE", 60_000);
      const syncs = () => metricValue(started.baseUrl, "pods_reconcile_duration_seconds_count");
      // The first resync after the pod became AVAILABLE may still find its own writes on their way.
      const settled = (await syncs()) + 1;
      await eventually("a resync", async () => (await syncs()) >= settled, 20_000);
      const before = { syncs: await syncs(), writes: await writes(started) };
      await eventually("three more resyncs", async () => (await syncs()) >= before.syncs + 3, 20_000);
      assert.equal(await writes(started), before.writes, "applies and deletes during resyncs of a pod in sync");
    });

    it("putsBackADeletedServiceAndAChangedSecretWithoutWaitingForAResync", async () => {
      const { agentKubeconfig, namespace, core } = cluster();
      const started = await startTestService({ PODS_KUBECONFIG: agentKubeconfig, PODS_K8S_NAMESPACE: namespace, PODS_AGENT_RESYNC_SECONDS: "0" });
      svc = started;
      const token = await started.token("alice");
      assert.equal((await started.api("POST", "/v3/pods", { token, body: { pod_id: "drifter", template: "neo4j" } })).status, 200);
      await started.waitForStatus(token, "drifter", "AVAILABLE", 60_000);
      const name = objectName("drifter");
      const generationLabel = "pods.tapis.io/generation";
      const secret = await core.readNamespacedSecret({ name, namespace });
      const generation = secret.metadata!.labels![generationLabel];
      const ports = (await core.readNamespacedService({ name, namespace })).spec!.ports!.map((p) => p.port).sort();
      await core.deleteNamespacedService({ name, namespace });
      await core.replaceNamespacedSecret({ name, namespace, body: { ...secret, metadata: { ...secret.metadata, labels: { ...secret.metadata!.labels, [generationLabel]: "999" } } } });
      // With resync off, only the watches of these objects can tell the agent.
      await eventually("the Service back with its ports", async () => {
        const service = await core.readNamespacedService({ name, namespace }).catch(() => undefined);
        return service?.spec?.ports?.map((p) => p.port).sort().join() === ports.join();
      }, 30_000);
      await eventually("the Secret's labels as they were", async () => (await core.readNamespacedSecret({ name, namespace })).metadata?.labels?.[generationLabel] === generation, 30_000);
    });
  });

  describe("objects left behind", () => {
    it("removesObjectsThatNoPodWantsAnyMore", async () => {
      const { agentKubeconfig, namespace, core } = cluster();
      const labels = { "app.kubernetes.io/managed-by": "tapis-pods", "pods.tapis.io/tenant": "dev", "pods.tapis.io/pod-id": "ghost" };
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "pods-local-dev-ghost-config", labels }, data: { a: "b" } } });
      await core.createNamespacedService({ namespace, body: { metadata: { name: "pods-local-dev-ghost", labels }, spec: { ports: [{ port: 80 }] } } });
      let svc: TestService | undefined;
      try {
        svc = await startTestService({ PODS_KUBECONFIG: agentKubeconfig, PODS_K8S_NAMESPACE: namespace, PODS_AGENT_RESYNC_SECONDS: "1" });
        await eventually("the ghost's objects to be removed", async () => {
          const [maps, services] = await Promise.all([
            core.listNamespacedConfigMap({ namespace, labelSelector: "pods.tapis.io/pod-id=ghost" }),
            core.listNamespacedService({ namespace, labelSelector: "pods.tapis.io/pod-id=ghost" }),
          ]);
          return maps.items.length + services.items.length === 0;
        });
      } finally {
        await svc?.stop();
      }
    });
  });
}
