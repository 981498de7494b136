import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportSPKI, generateKeyPair } from "jose";
import { freePort, startProcess, type ServiceProcess } from "./processes.js";
import { callApi, type ApiAnswer } from "./rest-call.js";
import { accessClaims, signClaims } from "./tokens.js";
import { createTestDatabase, testEncryptionKey, type TestDatabase } from "./test-database.js";

/**
 * A distributed installation in separate processes: control-plane replicas on
 * a fresh MariaDB database and the test Kafka broker, one gateway in front
 * of all replicas, and agents (simulated clusters) attached to the replicas
 * named. Cluster ids are new per installation, so its Kafka topics are too.
 */
export interface Installation {
  gatewayUrl: string;
  replicaUrls: string[];
  clusters: { a: string; b: string };
  replicas: ServiceProcess[];
  agents: Map<string, ServiceProcess>;
  /** Each agent's own HTTP server (/livez, /readyz, /metrics), by agent name. */
  agentHealthUrls: Map<string, string>;
  gateway: ServiceProcess;
  token(username: string): Promise<string>;
  api(method: string, path: string, token: string, body?: unknown): Promise<ApiAnswer>;
  waitForStatus(token: string, podId: string, status: string, timeoutMs?: number): Promise<any>;
  /** Starts a replica again on its old port after it was killed. */
  restartReplica(index: number): Promise<void>;
  startAgent(name: string, clusterId: string, replicaIndexes: number[]): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export interface InstallationOptions {
  replicas: number;
  agents: { name: string; cluster: "a" | "b"; replicas: number[] }[];
  /** 0 leaves the agents with events alone to learn of changes (no resync to heal a loss). */
  agentResyncSeconds?: number;
}

export async function startInstallation(options: InstallationOptions): Promise<Installation> {
  const kafka = process.env.PODS_TEST_KAFKA;
  const mysql = process.env.PODS_TEST_MYSQL_URL;
  if (!kafka || !mysql) throw new Error("PODS_TEST_KAFKA and PODS_TEST_MYSQL_URL must be set (npm run test:infra sets them)");
  const suffix = randomBytes(3).toString("hex");
  const clusters = { a: `clustera${suffix}`, b: `clusterb${suffix}` };
  const dir = await mkdtemp(join(tmpdir(), "pods-installation-"));
  const database: TestDatabase = await createTestDatabase(mysql);
  const keys = await generateKeyPair("RS256");
  const devIssuer = "https://dev.tapis.example/v3/tokens";
  const agentTokens = { a: randomBytes(16).toString("hex"), b: randomBytes(16).toString("hex") };
  await writeFile(join(dir, "tenant-keys.json"), JSON.stringify({ dev: { public_key: await exportSPKI(keys.publicKey), token_service: devIssuer } }));
  await writeFile(join(dir, "agent-tokens.json"), JSON.stringify({ [agentTokens.a]: clusters.a, [agentTokens.b]: clusters.b }));
  const ports = await Promise.all(Array.from({ length: options.replicas }, () => freePort()));
  const replicaUrls = ports.map((port) => `http://127.0.0.1:${port}`);
  const replicaEnv = (port: number) => ({
    PODS_DATA_DIR: join(dir, `replica-${port}`),
    PODS_DATABASE_URL: database.url,
    PODS_ENCRYPTION_KEY: testEncryptionKey,
    PODS_KAFKA_BROKERS: kafka,
    PODS_KAFKA_PARTITIONS: "3",
    PODS_KAFKA_SESSION_TIMEOUT_MS: "6000",
    PODS_TENANT_KEYS_FILE: join(dir, "tenant-keys.json"),
    PODS_AGENT_TOKENS_FILE: join(dir, "agent-tokens.json"),
    PODS_CLUSTERS: `${clusters.a}=default;${clusters.b}=gpu`,
    PODS_REPLICA_TOKEN: "replicas-share-this",
    PODS_GRPC_PORT: String(port),
    PODS_OUTBOX_POLL_MS: "200",
    PODS_AGENT_RESYNC_SECONDS: "10",
    // Replicas allow no image by default; these suites run the built-in templates.
    PODS_ALLOWED_IMAGES: "neo4j:5.26,postgres:16",
  });
  const startReplica = (index: number) => startProcess(`replica-${index}`, "control-plane/main.js", replicaEnv(ports[index]!), /"msg":"control plane listening"/);
  const replicas: ServiceProcess[] = [];
  for (let i = 0; i < options.replicas; i++) replicas.push(await startReplica(i));
  const gatewayPort = await freePort();
  const gateway = await startProcess(
    "gateway",
    "edge-gateway/main.js",
    { PODS_HTTP_PORT: String(gatewayPort), PODS_CONTROL_PLANE_URL: replicaUrls.join(","), PODS_UPLOAD_SPOOL_DIR: join(dir, "spool") },
    /"msg":"gateway listening"/,
  );
  const agents = new Map<string, ServiceProcess>();
  const agentHealthUrls = new Map<string, string>();
  const startAgent = async (name: string, clusterId: string, replicaIndexes: number[]) => {
    const token = clusterId === clusters.a ? agentTokens.a : agentTokens.b;
    const healthPort = await freePort();
    const agent = await startProcess(
      name,
      "agent/main.js",
      {
        PODS_CLUSTER_ID: clusterId,
        PODS_AGENT_TOKEN: token,
        PODS_CONTROL_PLANE_URL: replicaIndexes.map((i) => replicaUrls[i]).join(","),
        PODS_KAFKA_BROKERS: kafka,
        PODS_KAFKA_SESSION_TIMEOUT_MS: "6000",
        PODS_CLUSTER_DRIVER: "simulated",
        PODS_AGENT_HEALTH_PORT: String(healthPort),
        PODS_SIMULATED_STARTUP_MS: "50",
        // The agents of a cluster share its storage, as they share its storage claim.
        PODS_STORAGE_DIR: join(dir, `storage-${clusterId}`),
        PODS_AGENT_RESYNC_SECONDS: String(options.agentResyncSeconds ?? 10),
      },
      /"msg":"agent started"/,
    );
    agents.set(name, agent);
    agentHealthUrls.set(name, `http://127.0.0.1:${healthPort}`);
    return agent;
  };
  for (const agent of options.agents) await startAgent(agent.name, clusters[agent.cluster], agent.replicas);

  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const api: Installation["api"] = (method, path, token, body) => callApi(gatewayUrl, method, path, { token, body });
  return {
    gatewayUrl,
    replicaUrls,
    clusters,
    replicas,
    agents,
    agentHealthUrls,
    gateway,
    token: (username) => signClaims(keys.privateKey, accessClaims("dev", username, devIssuer)),
    api,
    async waitForStatus(token, podId, status, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        const answer = await api("GET", `/v3/pods/${podId}`, token);
        last = answer.body;
        if (answer.body.result?.status === status) return answer.body.result;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`pod ${podId} did not reach ${status}: ${JSON.stringify(last)}`);
    },
    async restartReplica(index) {
      replicas[index] = await startReplica(index);
    },
    startAgent,
    async stop() {
      await Promise.allSettled([...agents.values()].map((agent) => agent.stop()));
      await gateway.stop();
      await Promise.allSettled(replicas.map((replica) => replica.stop()));
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
