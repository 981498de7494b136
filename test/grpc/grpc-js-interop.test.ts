import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
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
  const definition = protoLoader.loadSync(join(protoDir, "tapis/pods/v1/pods_service.proto"), {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const PodsService = loaded.tapis.pods.v1.PodsService as grpc.ServiceClientConstructor;
  return new PodsService(address, grpc.credentials.createInsecure());
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

/** Runs `promise`, expects it to fail with a gRPC status, and returns the error. */
async function expectGrpcError(promise: Promise<unknown>, code: grpc.status): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    const serviceError = error as grpc.ServiceError;
    assert.equal(serviceError.code, code, `expected status ${grpc.status[code]} (${code}), got ${serviceError.code}: ${serviceError.details}`);
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
    assert.equal(typeof created.message, "string");
    assert.equal(created.result.pod_id, "grpcpod1");
    assert.equal(created.result.template, "neo4j");
    assert.equal(created.result.description, "made by grpc-js");

    const got = await unary(client, "GetPod", { pod_id: "grpcpod1" }, jwt);
    assert.equal(got.result.pod_id, "grpcpod1");
    assert.equal(got.result.template, "neo4j");
    assert.ok(
      ["POD_STATUS_REQUESTED", "POD_STATUS_SPAWNING", "POD_STATUS_AVAILABLE"].includes(got.result.status),
      `unexpected status ${got.result.status}`,
    );

    const rest = await svc.api("GET", "/v3/pods/grpcpod1", { token: jwt });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.result.pod_id, "grpcpod1");
    assert.equal(rest.body.result.template, "neo4j");
  });

  it("pollsGetPodUntilThePodIsAvailable", async () => {
    const deadline = Date.now() + 15_000;
    let status: string | undefined;
    while (Date.now() < deadline) {
      const got = await unary(client, "GetPod", { pod_id: "grpcpod1" }, jwt);
      status = got.result.status;
      if (status === "POD_STATUS_AVAILABLE") break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(status, "POD_STATUS_AVAILABLE");
  });

  it("mapsErrorsToGrpcStatusCodes", async () => {
    await expectGrpcError(unary(client, "GetPod", { pod_id: "grpcpod1" }), grpc.status.UNAUTHENTICATED);

    const bob = await svc.token("bob");
    await expectGrpcError(unary(client, "GetPod", { pod_id: "grpcpod1" }, bob), grpc.status.PERMISSION_DENIED);

    const invalid = await expectGrpcError(
      unary(client, "CreatePod", { pod_id: "Bad_Pod!", template: "neo4j" }, jwt),
      grpc.status.INVALID_ARGUMENT,
    );
    // grpc-js leaves some characters (such as ':') percent-encoded in details.
    assert.match(decodeURIComponent(invalid.details), /pod_id/);

    await expectGrpcError(unary(client, "GetPod", { pod_id: "nosuchpod" }, jwt), grpc.status.NOT_FOUND);
  });
});
