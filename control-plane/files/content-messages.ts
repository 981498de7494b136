import type { Download } from "../agents/agent-sessions.js";

/** The messages of a contents download: first what the file is, then its bytes as they arrive. */
export async function* contentMessages(download: Download): AsyncGenerator<{ data: Uint8Array; contentType: string; filename: string; contentLength?: bigint }> {
  const { contentType, filename, contentLength } = download.reply;
  yield { data: new Uint8Array(0), contentType, filename, ...(contentLength !== undefined ? { contentLength } : {}) };
  for await (const data of download.pieces) yield { data, contentType: "", filename: "" };
}
