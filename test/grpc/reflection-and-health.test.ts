import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { publicServices } from "../../edge-gateway/public-services.js";
import { startTestService, type TestService } from "../support/test-service.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const buf = join(repoRoot, "node_modules", ".bin", "buf");

/** What stock gRPC tools need: server reflection (v1 and v1alpha) and the standard health service. */
describe("gRPC reflection and health", function () {
  this.timeout(60_000);
  let svc: TestService;
  let token: string;

  before(async () => {
    svc = await startTestService();
    token = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token, body: { pod_id: "reflected", template: "neo4j", description: "seen by reflection" } })).status, 200);
  });
  after(() => svc.stop());

  const bufCurl = async (...args: string[]) => (await promisify(execFile)(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args])).stdout;

  for (const reflection of ["grpc-v1", "grpc-v1alpha"]) {
    it(`listsEveryPublicServiceThroughReflection ${reflection}`, async () => {
      const listed = (await bufCurl("--reflect-protocol", reflection, "--list-services", svc.grpcUrl)).split("\n").filter(Boolean);
      for (const service of publicServices) assert.ok(listed.includes(service.typeName), `${service.typeName} missing from ${listed.join(", ")}`);
      assert.ok(listed.includes("grpc.health.v1.Health"));
    });

    it(`callsGetPodThroughReflection ${reflection}`, async () => {
      const answer = JSON.parse(
        await bufCurl("--reflect-protocol", reflection, "-H", `x-tapis-token: ${token}`, "-d", '{"pod_id": "reflected"}', `${svc.grpcUrl}/tapis.pods.v1.PodsService/GetPod`),
      ) as { result: { podId: string; description: string } };
      const rest = await svc.api("GET", "/v3/pods/reflected", { token });
      assert.equal(answer.result.podId, rest.body.result.pod_id);
      assert.equal(answer.result.description, rest.body.result.description);
    });
  }

  it("answersServingFromTheStandardHealthService", async () => {
    const answer = JSON.parse(await bufCurl("-d", "{}", `${svc.grpcUrl}/grpc.health.v1.Health/Check`)) as { status: string };
    assert.equal(answer.status, "SERVING");
    const named = JSON.parse(await bufCurl("-d", '{"service": "tapis.pods.v1.PodsService"}', `${svc.grpcUrl}/grpc.health.v1.Health/Check`)) as { status: string };
    assert.equal(named.status, "SERVING");
  });
});
