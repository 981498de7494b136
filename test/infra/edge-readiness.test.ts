import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpBackend, proxied, selfSignedCertificate, startNginxProxy, startTraefikProxy, type RunningProxy } from "../support/edge-fixture.js";
import { eventually } from "../support/eventually.js";
import { setContainerStatus } from "../support/kubelet-status.js";
import { createScratchNamespace, type ScratchNamespace } from "../support/scratch-namespace.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Readiness gating end to end: a pod with a readiness probe runs on the real
 * API server (kwok simulating its node); the kubelet's view of the
 * container, ready or not, is written to the Pod's status as a kubelet
 * would; the project's nginx edge proxy (and Traefik, with
 * PODS_TRAEFIK_BIN) routes the pod's URL to a local server standing in for
 * its Service only while the pod is ready.
 */
describe("edge: a real proxy routes a pod with a readiness probe only while it is ready", function () {
  this.timeout(120_000);
  const objectName = "pods-local-dev-warm";
  const host = "warm.pods.dev.localhost";
  let scratch: ScratchNamespace;
  let svc: TestService;
  let alice: string;
  let certificate: { cert: string; key: string; dir: string };
  let addressesFile: string;
  let closeBackend: () => Promise<void>;

  before(async () => {
    const kubeconfig = process.env.PODS_TEST_KUBECONFIG;
    assert.ok(kubeconfig, "PODS_TEST_KUBECONFIG must name the test cluster's kubeconfig (npm run test:infra sets it)");
    assert.ok(process.env.PODS_TEST_NGINX, "PODS_TEST_NGINX must name the nginx binary (npm run test:infra sets it from scripts/infra/nginx.sh)");
    scratch = await createScratchNamespace(kubeconfig, "pods-edge-ready");
    certificate = await selfSignedCertificate(["*.pods.dev.localhost"]);
    const backend = await httpBackend("dev/warm/default");
    closeBackend = backend.close;
    // The edge names the pod's Service in the cluster's registered namespace ("pods").
    addressesFile = join(tmpdir(), `pods-edge-ready-${process.pid}.json`);
    await writeFile(addressesFile, JSON.stringify({ [`${objectName}.pods.svc:8080`]: `127.0.0.1:${backend.port}` }));
    svc = await startTestService({
      PODS_KUBECONFIG: kubeconfig,
      PODS_K8S_NAMESPACE: scratch.name,
      PODS_K8S_STOP_GRACE_SECONDS: "0",
      PODS_EDGE_SERVICE_ADDRESSES_FILE: addressesFile,
    });
    alice = await svc.token("alice");
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: "warm", image: "busybox:1", networking: { default: { port: 8080 } }, healthchecks: { readiness: { http_get_path: "/ready", http_get_port: 8080 } } },
    });
    assert.equal(created.status, 200, created.body.message);
    await svc.waitForStatus(alice, "warm", "AVAILABLE", 60_000);
  });
  after(async () => {
    await svc?.stop();
    await scratch?.remove();
    await closeBackend?.();
    await rm(addressesFile, { force: true });
    await rm(certificate.dir, { recursive: true, force: true });
  });

  const live = async () => (await svc.api("GET", "/v3/pods/warm", { token: alice })).body.result.networking_live as boolean;

  const proxies: [string, () => Promise<RunningProxy>][] = [["nginx", () => startNginxProxy(process.env.PODS_TEST_NGINX!, svc.grpcUrl, certificate)]];
  if (process.env.PODS_TRAEFIK_BIN) proxies.push(["traefik", () => startTraefikProxy(process.env.PODS_TRAEFIK_BIN!, svc.baseUrl, certificate)]);

  for (const [name, start] of proxies) {
    describe(`through ${name}`, () => {
      let proxy: RunningProxy;
      const status = async () => {
        await proxy.refresh();
        return (await proxied(proxy.port, host, "/").catch(() => ({ status: 0 }))).status;
      };

      before(async () => {
        proxy = await start();
      });
      after(() => proxy?.stop());
      afterEach(function () {
        if (this.currentTest?.state === "failed") console.log(`${name} logs:\n${proxy.logs().slice(-4000)}`);
      });

      it("answers404WhileKubernetesReportsThePodNotReadyAndThePodOnceItIsReady", async () => {
        await setContainerStatus(scratch.core, scratch.name, objectName, true);
        await eventually(`${name} to route the ready pod`, async () => (await status()) === 200);
        assert.equal(await live(), true);

        await setContainerStatus(scratch.core, scratch.name, objectName, false);
        await eventually("the pod to be reported not ready", async () => (await live()) === false);
        await eventually(`${name} to stop routing the pod`, async () => (await status()) === 404);
        assert.equal((await svc.api("GET", "/v3/pods/warm", { token: alice })).body.result.status, "AVAILABLE");

        await setContainerStatus(scratch.core, scratch.name, objectName, true);
        let seen: { pod: string; path: string } | undefined;
        await eventually(`${name} to route the pod again`, async () => {
          await proxy.refresh();
          // A reload is graceful: a worker of the configuration before may answer a moment longer.
          const answer = await proxied(proxy.port, host, "/hello").catch(() => undefined);
          if (answer?.status !== 200) return false;
          seen = JSON.parse(answer.text) as { pod: string; path: string };
          return true;
        });
        assert.deepEqual([seen!.pod, seen!.path], ["dev/warm/default", "/hello"]);
      });
    });
  }
});
