import type { IncomingMessage, ServerResponse } from "node:http";

/** What a process depends on, each "ok" or what is wrong with it ("unreachable", "not connected: …"). */
export type ReadinessChecks = () => Promise<Record<string, string>>;

/** Whether every check is "ok". */
export function allOk(checks: Record<string, string>): boolean {
  return Object.values(checks).every((state) => state === "ok");
}

/** Whether the request is one of the orchestrator's probes. */
export function isHealthProbe(req: IncomingMessage): boolean {
  const path = (req.url ?? "").split("?")[0];
  return path === "/livez" || path === "/readyz";
}

/**
 * Answers the orchestrator's probes, kept apart from the Tapis healthcheck:
 * `GET /livez` (the process runs and answers) and `GET /readyz` (503 naming
 * each dependency that is down). Returns false for any other request.
 */
export async function answerHealthProbe(req: IncomingMessage, res: ServerResponse, readiness: ReadinessChecks): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = (req.url ?? "").split("?")[0];
  if (path === "/livez") {
    send(res, 200, { status: "live" });
    return true;
  }
  if (path !== "/readyz") return false;
  const checks = await readiness();
  const ready = allOk(checks);
  send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks });
  return true;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  res.end(text);
}

/** Runs `probe`; "ok", or `down` when it throws or does not answer within `timeoutMs`. */
export async function probeState(probe: () => Promise<unknown>, down = "unreachable", timeoutMs = 2_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), timeoutMs)))]);
    return "ok";
  } catch {
    return down;
  } finally {
    clearTimeout(timer);
  }
}
