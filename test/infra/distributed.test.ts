import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PodFilesService } from "../../gen/tapis/pods/v1/pod_files_service_pb.js";
import { PodsService } from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { startInstallation, type Installation } from "../support/installation.js";

describe("distributed installation on MariaDB and kafka", function () {
  this.timeout(180_000);
  let installation: Installation;
  let alice: string;

  before(async () => {
    installation = await startInstallation({
      replicas: 2,
      agents: [
        { name: "agent-a1", cluster: "a", replicas: [0] },
        { name: "agent-a2", cluster: "a", replicas: [1] },
        { name: "agent-b1", cluster: "b", replicas: [0] },
      ],
    });
    alice = await installation.token("alice");
  });
  after(() => installation?.stop());

  it("runsTheQuickstartThroughTheGatewayAndBothReplicas", async () => {
    const { api } = installation;
    const created = await api("POST", "/v3/pods", alice, { pod_id: "docpod", template: "neo4j", description: "My example pod!" });
    assert.equal(created.status, 200, created.body.message);
    await installation.waitForStatus(alice, "docpod", "AVAILABLE");
    assert.equal((await api("PUT", "/v3/pods/docpod", alice, { description: "Updated description" })).status, 200);
    await api("GET", "/v3/pods/docpod/stop", alice);
    await installation.waitForStatus(alice, "docpod", "STOPPED");
    await api("GET", "/v3/pods/docpod/start", alice);
    await installation.waitForStatus(alice, "docpod", "AVAILABLE");
    await api("GET", "/v3/pods/docpod/restart", alice);
    await installation.waitForStatus(alice, "docpod", "AVAILABLE");
    for (const url of installation.replicaUrls) {
      const replica = createClient(PodsService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      const pod = await replica.getPod({ podId: "docpod" }, { headers: { "x-tapis-token": alice } });
      assert.equal(pod.result?.description, "Updated description");
    }
    assert.equal((await api("DELETE", "/v3/pods/docpod", alice)).status, 200);
    assert.equal((await api("GET", "/v3/pods/docpod", alice)).status, 404);
  });

  it("placesPodsOnTheClusterTheirComputeQueueSelects", async () => {
    const { api, clusters } = installation;
    await api("POST", "/v3/pods", alice, { pod_id: "onqueuea", template: "postgres" });
    await api("POST", "/v3/pods", alice, { pod_id: "onqueueb", template: "postgres", compute_queue: "gpu" });
    assert.equal((await installation.waitForStatus(alice, "onqueuea", "AVAILABLE")).status_container.cluster_id, clusters.a);
    assert.equal((await installation.waitForStatus(alice, "onqueueb", "AVAILABLE")).status_container.cluster_id, clusters.b);
  });

  it("reachesThePodWithExecWhicheverReplicaIsAsked", async () => {
    // Cluster b's only agent is connected to replica 0; replica 1 forwards.
    for (const url of installation.replicaUrls) {
      const replica = createClient(PodsService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      const answer = await replica.execPodCommands({ podId: "onqueueb", commands: { values: [{ kind: { case: "stringValue", value: "echo" } }, { kind: { case: "stringValue", value: "hi" } }] } }, { headers: { "x-tapis-token": alice } });
      assert.equal(answer.result?.success, true, url);
    }
    for (let i = 0; i < 4; i++) {
      const answer = await installation.api("POST", "/v3/pods/onqueueb/exec", alice, { commands: ["echo", "hi"] });
      assert.equal(answer.status, 200, answer.body.message);
    }
  });

  it("streamsAnUploadWhicheverReplicaIsAsked", async () => {
    // As with exec, replica 1 forwards the upload to replica 0, which holds cluster b's agent.
    const file = new Uint8Array(3 * 1024 * 1024 + 5).fill(7);
    for (const url of installation.replicaUrls) {
      const replica = createClient(PodsService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      async function* pieces() {
        yield { podId: "onqueueb", destPath: "/tmp/forwarded.bin", file: file.subarray(0, 1024 * 1024) };
        yield { file: file.subarray(1024 * 1024, 2 * 1024 * 1024) };
        yield { file: file.subarray(2 * 1024 * 1024) };
      }
      const answer = await replica.uploadToPod(pieces(), { headers: { "x-tapis-token": alice } });
      assert.equal(answer.result, `Wrote ${file.length} bytes to /tmp/forwarded.bin.`, url);
    }
  });

  it("reachesThePodsFilesWhicheverReplicaIsAsked", async () => {
    // Replica 1 forwards the listing and the read (its reply, then its bytes) to replica 0; the agents are simulated.
    for (const url of installation.replicaUrls) {
      const replica = createClient(PodFilesService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
      const listing = await replica.listFilesInPod({ podId: "onqueueb", path: "/tmp" }, { headers: { "x-tapis-token": alice } });
      assert.equal(listing.message, "[simulated] pod 'onqueueb' runs in the simulated cluster, where no container runs: there are no files in '/tmp'.", url);
      const read = async () => {
        for await (const piece of replica.downloadFromPod({ podId: "onqueueb", path: "/tmp/x" }, { headers: { "x-tapis-token": alice } })) void piece;
      };
      await assert.rejects(read, (error: unknown) => error instanceof ConnectError && error.code === Code.NotFound && /^\[simulated\] /.test(error.rawMessage), url);
    }
  });
});
