import type http from "node:http";
import type { Message } from "@bufbuild/protobuf";
import { encodeMessageJson } from "../../shared/rest-json/rest-json-encoder.js";
import type { Route } from "../routing/route-table.js";

/** A comment line this often keeps proxies and the idle timeout from closing a quiet stream. */
const heartbeatMs = 15_000;
/** How long the first message may take before the stream's headers go out anyway. */
const firstMessageWaitMs = 1_000;

/**
 * Whether a server-streaming route sends bytes (its messages carry `data`,
 * the first one a content type: a download) rather than events.
 */
export function isDownload(route: Route): boolean {
  return route.method.output.fields.some((field) => field.name === "data" && field.fieldKind === "scalar");
}

/**
 * A Server-Sent Events client that reconnects sends the id of the last event
 * it saw; a request with a `from_revision` field resumes after it.
 */
export function resumeAfterLastEvent(route: Route, input: Record<string, unknown>, req: http.IncomingMessage): Record<string, unknown> {
  const lastEventId = req.headers["last-event-id"];
  const field = route.method.input.fields.find((f) => f.name === "from_revision");
  if (!field || typeof lastEventId !== "string" || !/^\d{1,18}$/.test(lastEventId) || input[field.localName] !== undefined) return input;
  return { ...input, [field.localName]: BigInt(lastEventId) };
}

/**
 * Streams the messages as Server-Sent Events: each message's REST JSON as
 * `data`, its `revision` as the event `id` and its `type` as the `event`
 * name. An error before the first message (a refusal) still answers with
 * its own status: the stream's headers wait for the first message, or a
 * moment.
 */
export async function streamEvents(res: http.ServerResponse, route: Route, messages: AsyncIterable<Message>): Promise<void> {
  const output = route.method.output;
  const iterator = messages[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Message>> | null = iterator.next();
  const first = await Promise.race([pending, new Promise<"waiting">((resolve) => setTimeout(() => resolve("waiting"), firstMessageWaitMs).unref())]);
  res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
  res.write("retry: 3000\n\n");
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), heartbeatMs);
  try {
    let next = first === "waiting" ? await pending : first;
    pending = null;
    while (!next.done) {
      const json = encodeMessageJson(output, next.value);
      const lines = [
        json.revision !== undefined ? `id: ${String(json.revision)}` : "",
        typeof json.type === "string" ? `event: ${json.type}` : "",
        `data: ${JSON.stringify(json)}`,
      ].filter(Boolean);
      if (!res.write(lines.join("\n") + "\n\n")) await new Promise((resolve) => res.once("drain", resolve));
      next = await iterator.next();
    }
  } finally {
    clearInterval(heartbeat);
    res.end();
  }
}
