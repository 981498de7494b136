import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEmbeddedConfig } from "../../embedded/config.js";
import { startEmbedded, type EmbeddedService } from "../../embedded/start-embedded.js";
import { createJsonLogger, type LogLevel } from "../../shared/logging/logger.js";

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
import { callApi, type ApiAnswer, type ApiOptions } from "./rest-call.js";
import { createTestDatabase, testEncryptionKey, type TestDatabase } from "./test-database.js";

export type { ApiAnswer };

export interface TestServiceOptions {
  /** Keep every log line from this level on, for logLines() (lines at PODS_TEST_LOG_LEVEL, default error, also go to stderr). */
  logLevel?: LogLevel;
  /** The control plane's clock (epoch ms), for tests of schedules; tokens and the agent keep real time. */
  now?: () => number;
}

export interface TestService {
  baseUrl: string;
  grpcUrl: string;
  dataDir: string;
  service: EmbeddedService;
  /** A dev-tenant access token for `username`. */
  token(username: string): Promise<string>;
  /** Calls the REST API; `body` objects are sent as JSON. */
  api(method: string, path: string, options?: ApiOptions): Promise<ApiAnswer>;
  /** Every log line the service wrote so far, parsed (from the level asked for when started). */
  logLines(): Record<string, unknown>[];
  /** The same lines as the service wrote them. */
  rawLogLines(): string[];
  /** Polls the pod until it reaches `status` (or fails after `timeoutMs`). */
  waitForStatus(token: string, podId: string, status: string, timeoutMs?: number): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

/**
 * Starts the embedded service on free ports with its own data folder. The
 * database is SQLite, or a fresh MySQL/MariaDB database when
 * PODS_TEST_MYSQL_URL is set (see scripts/test-infra.sh).
 */
export async function startTestService(env: Record<string, string> = {}, options: TestServiceOptions = {}): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), "pods-test-"));
  let database: TestDatabase | undefined;
  if (process.env.PODS_TEST_MYSQL_URL && !env.PODS_DATABASE_URL) database = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL);
  const config = readEmbeddedConfig({
    PODS_DATA_DIR: dataDir,
    PODS_HTTP_PORT: "0",
    PODS_GRPC_PORT: "0",
    PODS_SIMULATED_STARTUP_MS: "20",
    PODS_OUTBOX_POLL_MS: "200",
    ...(database ? { PODS_DATABASE_URL: database.url, PODS_ENCRYPTION_KEY: testEncryptionKey } : {}),
    ...env,
  });
  const shownLevel = (process.env.PODS_TEST_LOG_LEVEL as LogLevel | undefined) ?? "error";
  const shown = levelRank[shownLevel];
  const lines: string[] = [];
  const logger = createJsonLogger({
    level: options.logLevel && levelRank[options.logLevel] < shown ? options.logLevel : shownLevel,
    write: (line) => {
      if (options.logLevel) lines.push(line);
      if (levelRank[(JSON.parse(line) as { level: LogLevel }).level] >= shown) process.stderr.write(line);
    },
  });
  let service: EmbeddedService;
  try {
    service = await startEmbedded(config, logger, { now: options.now });
  } catch (error) {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const api: TestService["api"] = (method, path, options) => callApi(service.baseUrl, method, path, options);
  return {
    baseUrl: service.baseUrl,
    grpcUrl: service.grpcUrl,
    dataDir,
    service,
    token: async (username) => (await service.issuer.access(username, "password")).token,
    api,
    logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    rawLogLines: () => [...lines],
    async waitForStatus(token, podId, status, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last: ApiAnswer | undefined;
      while (Date.now() < deadline) {
        last = await api("GET", `/v3/pods/${podId}`, { token });
        if (last.body.result?.status === status) return last;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`pod ${podId} did not reach ${status}; last answer: ${JSON.stringify(last?.body)}`);
    },
    async stop() {
      await service.stop();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A random pod id that satisfies the id rules. */
export function podId(prefix = "pod"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}
