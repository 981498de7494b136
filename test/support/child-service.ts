import { join } from "node:path";
import { startProcess, type ServiceProcess } from "./processes.js";
import { callApi, type ApiAnswer, type ApiOptions } from "./rest-call.js";

/** The embedded service running as a separate process, as `npm start` runs it. */
export interface ChildService extends ServiceProcess {
  baseUrl: string;
  api(method: string, path: string, options?: ApiOptions): Promise<ApiAnswer>;
}

const startBanner = /REST API\s+(http:\/\/\S+?)\/v3\/pods/;

/** Starts `node dist/embedded/main.js` with `env` and waits for its start banner. */
export async function startChildService(env: Record<string, string>, timeoutMs = 30_000): Promise<ChildService> {
  const started = await startProcess("service", join("embedded", "main.js"), { PODS_LOG_LEVEL: "warn", ...env }, startBanner, timeoutMs);
  const baseUrl = startBanner.exec(started.output())![1]!;
  return { ...started, baseUrl, api: (method, path, options) => callApi(baseUrl, method, path, options) };
}
