import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChildService, type ChildService } from "../support/child-service.js";
import { rawConnection, settlesWithin, type RawConnection } from "../support/raw-http.js";
import { startTestService, type TestService } from "../support/test-service.js";

const head = (method: string, path: string, headers: string[]) => `${method} ${path} HTTP/1.1\r\nHost: x\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;

/**
 * Clients that send slowly, stall, or keep sending after a refusal cannot
 * hold a connection (or the process) forever. The limits are shortened here;
 * each wait allows many times the limit.
 */
describe("slow and stalled clients", () => {
  let svc: TestService;
  const connections: RawConnection[] = [];
  const connect = async () => {
    const connection = await rawConnection(svc.baseUrl);
    connections.push(connection);
    return connection;
  };

  before(async () => {
    svc = await startTestService({
      PODS_HTTP_HEADERS_TIMEOUT_SECONDS: "1",
      PODS_HTTP_BODY_TIMEOUT_SECONDS: "1",
      PODS_HTTP_IDLE_TIMEOUT_SECONDS: "2",
    });
  });
  after(async () => {
    for (const connection of connections) connection.socket.destroy();
    await svc.stop();
  });

  it("closesAConnectionWhoseHeadersNeverEnd", async () => {
    const connection = await connect();
    await connection.write("GET /v3/pods HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assert.ok(await settlesWithin(connection.closed, 15_000), "the connection stayed open");
    assert.match(connection.received(), /^HTTP\/1\.1 408/);
  });

  it("answers408AndClosesWhenAJsonBodyStalls", async () => {
    const token = await svc.token("alice");
    const connection = await connect();
    await connection.write(head("POST", "/v3/pods", [`X-Tapis-Token: ${token}`, "Content-Type: application/json", "Content-Length: 1000"]));
    await connection.write('{"pod_id": "slow');
    assert.ok(await settlesWithin(connection.closed, 15_000), "the connection stayed open");
    assert.match(connection.received(), /^HTTP\/1\.1 408/);
    assert.match(connection.received(), /request body did not arrive within 1 s/);
  });

  it("closesAnIdleKeptAliveConnection", async () => {
    const connection = await connect();
    await connection.write(head("GET", "/v3/pods/healthcheck", []));
    assert.ok(await settlesWithin(connection.closed, 15_000), "the connection stayed open");
    assert.match(connection.received(), /^HTTP\/1\.1 200/);
  });
});

describe("a refused body and shutdown", () => {
  let dataDir: string;
  let service: ChildService;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pods-refused-"));
    service = await startChildService({ PODS_DATA_DIR: dataDir, PODS_HTTP_PORT: "0", PODS_GRPC_PORT: "0", PODS_SHUTDOWN_GRACE_SECONDS: "2" });
  });
  after(async () => {
    await service.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("stopsOnSigtermAfterRefusingAChunkedBodyThatNeverEnds", async () => {
    const connection = await rawConnection(service.baseUrl);
    await connection.write(head("POST", "/v3/pods", ["Content-Type: application/json", "Transfer-Encoding: chunked"]));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    for (let i = 0; i < 17; i++) await connection.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]));
    assert.ok(await settlesWithin(waitFor(() => /^HTTP\/1\.1 413/.test(connection.received())), 15_000), `no 413: ${connection.received().slice(0, 100)}`);
    // The body never ends; the process must stop anyway.
    service.child.kill("SIGTERM");
    const exited = new Promise((resolve) => service.child.once("exit", resolve));
    assert.ok(service.child.exitCode !== null || (await settlesWithin(exited, 20_000)), "the process did not stop on SIGTERM");
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
