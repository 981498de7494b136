import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/test-service.js";

// dist/test/grpc/ -> repository root -> proto/
const protoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "proto");

/** A unary method of a grpc-js generic client, with the callback turned into a promise. */
type UnaryCall = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: any) => void,
) => grpc.ClientUnaryCall;

function loadPodsClient(address: string): grpc.Client {
  return loadClient(address, "tapis/pods/v1/pods_service.proto", "PodsService");
}

/** A grpc-js client of `service` (of package tapis.pods.v1) as declared in the proto file `file`. */
function loadClient(address: string, file: string, service: string): grpc.Client {
  const definition = protoLoader.loadSync(join(protoDir, file), {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const Service = loaded.tapis.pods.v1[service] as grpc.ServiceClientConstructor;
  return new Service(address, grpc.credentials.createInsecure());
}

/** Calls `method` on `client`; `token` (if any) goes into the x-tapis-token metadata. */
function unary<T = any>(client: grpc.Client, method: string, request: object, token?: string): Promise<T> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set("x-tapis-token", token);
  const call = (client as unknown as Record<string, UnaryCall>)[method];
  assert.equal(typeof call, "function", `no method ${method} on the client`);
  return new Promise<T>((resolve, reject) => {
    call.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (error, response) => {
      if (error) reject(error);
      else resolve(response as T);
    });
  });
}

/** Runs `promise`, expects it to fail with gRPC status `code` and exactly `details`, and returns the error. */
async function expectGrpcError(promise: Promise<unknown>, code: grpc.status, details: string): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    const serviceError = error as grpc.ServiceError;
    assert.equal(serviceError.code, code, `expected status ${grpc.status[code]} (${code}), got ${serviceError.code}: ${serviceError.details}`);
    // grpc-js leaves some characters (such as ':' and ';') percent-encoded in details.
    assert.equal(decodeURIComponent(serviceError.details), details);
    return serviceError;
  }
  assert.fail(`expected the call to fail with ${grpc.status[code]}`);
}

describe("native gRPC clients (@grpc/grpc-js)", () => {
  let svc: TestService;
  let jwt: string;
  let client: grpc.Client;

  before(async () => {
    svc = await startTestService();
    jwt = await svc.token("alice");
    client = loadPodsClient(svc.grpcUrl.replace(/^https?:\/\//, ""));
  });
  after(async () => {
    client?.close();
    await svc?.stop();
  });

  it("createsAPodAndReadsItBackOverGrpcAndRest", async () => {
    const created = await unary(client, "CreatePod", { pod_id: "grpcpod1", template: "neo4j", description: "made by grpc-js" }, jwt);
    assert.equal(created.message, "Pod created successfully.");
    assert.equal(created.result.pod_id, "grpcpod1");
    assert.equal(created.result.template, "neo4j");
    assert.equal(created.result.image, "neo4j:5.26");
    assert.equal(created.result.description, "made by grpc-js");
    assert.equal(created.result.status, "POD_STATUS_REQUESTED");
    assert.equal(created.result.status_requested, "STATUS_REQUESTED_ON");

    const got = await eventually("grpcpod1 to be AVAILABLE over gRPC", async () => {
      const answer = await unary(client, "GetPod", { pod_id: "grpcpod1" }, jwt);
      return answer.result.status === "POD_STATUS_AVAILABLE" && answer;
    }, 15_000);
    assert.equal(got.message, "Pod retrieved successfully.");
    assert.equal(got.result.pod_id, "grpcpod1");
    assert.equal(got.result.template, "neo4j");
    assert.equal(got.result.description, "made by grpc-js");
    assert.equal(got.result.status_requested, "STATUS_REQUESTED_ON");
    assert.equal(got.result.status_container.fields.phase.stringValue, "AVAILABLE");

    const rest = await svc.api("GET", "/v3/pods/grpcpod1", { token: jwt });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.message, "Pod retrieved successfully.");
    assert.equal(rest.body.result.pod_id, "grpcpod1");
    assert.equal(rest.body.result.template, "neo4j");
    assert.equal(rest.body.result.description, "made by grpc-js");
    assert.equal(rest.body.result.status, "AVAILABLE");
    assert.equal(rest.body.result.status_requested, "ON");
  });

  it("carriesHealthchecksAndNetworkingLiveOverGrpcAndRefusesABadProbe", async () => {
    const healthchecks = { readiness: { tcp_socket_port: 7474, initial_delay_seconds: 0 }, liveness: { exec_command: ["cat", "/tmp/alive"] } };
    const created = await unary(client, "CreatePod", { pod_id: "grpcprobed", template: "neo4j", healthchecks }, jwt);
    assert.deepEqual(created.result.healthchecks.readiness.tcp_socket_port, 7474);
    assert.deepEqual(created.result.healthchecks.liveness.exec_command, ["cat", "/tmp/alive"]);
    assert.equal(created.result.healthchecks.networking_requires_ready, true);
    const live = await eventually("grpcprobed to be live over gRPC", async () => {
      const answer = await unary(client, "GetPod", { pod_id: "grpcprobed" }, jwt);
      return answer.result.networking_live === true && answer;
    }, 15_000);
    assert.equal(live.result.status, "POD_STATUS_AVAILABLE");
    await expectGrpcError(
      unary(client, "CreatePod", { pod_id: "grpcbadprobe", template: "neo4j", healthchecks: { startup: { exec_command: ["cat", "a\u0000b"] } } }, jwt),
      grpc.status.INVALID_ARGUMENT,
      "healthchecks.startup.exec_command[1]: must not hold control characters other than tab and newline",
    );
  });

  it("mapsErrorsToGrpcStatusCodes", async () => {
    await unary(client, "CreatePod", { pod_id: "grpcpod2", template: "neo4j" }, jwt);
    await expectGrpcError(unary(client, "GetPod", { pod_id: "grpcpod2" }), grpc.status.UNAUTHENTICATED, "X-Tapis-Token header is required");

    const bob = await svc.token("bob");
    await expectGrpcError(
      unary(client, "GetPod", { pod_id: "grpcpod2" }, bob),
      grpc.status.PERMISSION_DENIED,
      "READ permission on pod 'grpcpod2' is required; you have no permission",
    );

    await expectGrpcError(
      unary(client, "CreatePod", { pod_id: "Bad_Pod!", template: "neo4j" }, jwt),
      grpc.status.INVALID_ARGUMENT,
      'pod_id: must be 3-64 lowercase letters and digits, starting with a letter (got "Bad_Pod!")',
    );

    await expectGrpcError(unary(client, "GetPod", { pod_id: "nosuchpod" }, jwt), grpc.status.NOT_FOUND, "pod 'nosuchpod' not found");
  });

  it("readsAPodsExecAuditOverGrpcAsItsAdministratorOnly", async () => {
    const history = loadClient(svc.grpcUrl.replace(/^https?:\/\//, ""), "tapis/pods/v1/pod_history_service.proto", "PodHistoryService");
    try {
      await unary(client, "CreatePod", { pod_id: "grpcaudit", template: "postgres" }, jwt);
      await svc.waitForStatus(jwt, "grpcaudit", "AVAILABLE");
      const ran = await svc.api("POST", "/v3/pods/grpcaudit/exec", { token: jwt, body: { commands: ["echo", "over grpc"] } });
      assert.equal(ran.status, 200, ran.body.message);

      const answer = await unary(history, "GetPodExecAudit", { pod_id: "grpcaudit" }, jwt);
      assert.equal(answer.message, "Pod exec audit retrieved successfully.");
      assert.equal(answer.result.length, 1);
      const [entry] = answer.result;
      assert.equal(entry.kind, "exec");
      assert.equal(entry.username, "alice");
      assert.deepEqual(entry.command, ["echo", "over grpc"]);
      assert.equal(entry.exit_code, 0);
      assert.equal(entry.bytes_out, String(Buffer.byteLength(ran.body.result.results[0].output)));

      await expectGrpcError(
        unary(history, "GetPodExecAudit", { pod_id: "grpcaudit" }, await svc.token("bob")),
        grpc.status.PERMISSION_DENIED,
        "ADMIN permission on pod 'grpcaudit' is required; you have no permission",
      );
    } finally {
      history.close();
    }
  });
});
