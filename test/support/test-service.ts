import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEmbeddedConfig } from "../../embedded/config.js";
import { startEmbedded, type EmbeddedService } from "../../embedded/start-embedded.js";
import { createJsonLogger, type Logger } from "../../shared/logging/logger.js";
import { callApi, type ApiAnswer, type ApiOptions } from "./rest-call.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export type { ApiAnswer };

export interface TestService {
  baseUrl: string;
  grpcUrl: string;
  dataDir: string;
  service: EmbeddedService;
  /** A dev-tenant access token for `username`. */
  token(username: string): Promise<string>;
  /** Calls the REST API; `body` objects are sent as JSON. */
  api(method: string, path: string, options?: ApiOptions): Promise<ApiAnswer>;
  /** Polls the pod until it reaches `status` (or fails after `timeoutMs`). */
  waitForStatus(token: string, podId: string, status: string, timeoutMs?: number): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  /** Receives every log line of the service, debug included, as parsed JSON. */
  onLogLine?: (line: Record<string, unknown>) => void;
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
    ...(database ? { PODS_DATABASE_URL: database.url } : {}),
    ...env,
  });
  const logger = testLogger(options);
  let service: EmbeddedService;
  try {
    service = await startEmbedded(config, logger);
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

function testLogger(options: TestServiceOptions): Logger {
  const level = (process.env.PODS_TEST_LOG_LEVEL as "error" | undefined) ?? "error";
  const onLogLine = options.onLogLine;
  if (!onLogLine) return createJsonLogger({ level });
  const printed = createJsonLogger({ level });
  const captured = createJsonLogger({ level: "debug", write: (line) => onLogLine(JSON.parse(line) as Record<string, unknown>) });
  const both = (a: Logger, b: Logger): Logger => ({
    debug: (m, f) => (a.debug(m, f), b.debug(m, f)),
    info: (m, f) => (a.info(m, f), b.info(m, f)),
    warn: (m, f) => (a.warn(m, f), b.warn(m, f)),
    error: (m, f) => (a.error(m, f), b.error(m, f)),
    child: (fields) => both(a.child(fields), b.child(fields)),
  });
  return both(printed, captured);
}

/** A random pod id that satisfies the id rules. */
export function podId(prefix = "pod"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}
