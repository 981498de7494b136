import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import { CliError, describeCause } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import type { Answer, PodsClient } from "../http/pods-client.js";
import { formatBytes } from "./byte-sizes.js";
import type { TransferProgress } from "./transfer-progress.js";

export interface MultipartUpload {
  client: PodsClient;
  /** The REST path to POST to. */
  path: string;
  /** Plain form fields, sent before the file. */
  fields: Record<string, string>;
  /** The form field that carries the file. */
  fileField: string;
  file: { path: string; name: string; size: number };
  progress: TransferProgress;
  /** How to try again, for the message of a failed upload. */
  retryHint: string;
}

/**
 * POSTs a local file as multipart/form-data, streamed from disk with the
 * socket's backpressure (so progress counts what left, not what was read),
 * with a Content-Length. An answer the service gives early (it refused the
 * upload before reading it all) is the outcome; a connection that breaks
 * without one fails with how far it got and how to try again.
 */
export async function uploadMultipart(upload: MultipartUpload): Promise<Answer<unknown>> {
  const boundary = `----tapis-pods-${randomBytes(12).toString("hex")}`;
  const head = Buffer.from(
    [
      ...Object.entries(upload.fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`),
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(upload.fileField)}"; filename="${quoted(upload.file.name)}"\r\n`,
      "Content-Type: application/octet-stream\r\n\r\n",
    ].join(""),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(upload.client.url(upload.path));
  const transport = url.protocol === "https:" ? https : http;
  let sentBytes = 0;

  const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    const request = transport.request(url, {
      method: "POST",
      headers: {
        ...upload.client.headers(),
        "Content-Type": `multipart/form-data; boundary=${boundary}`,
        "Content-Length": String(head.length + upload.file.size + tail.length),
      },
    });
    const file = createReadStream(upload.file.path);
    request.on("response", (incoming) => {
      file.destroy();
      let text = "";
      incoming.setEncoding("utf8");
      incoming.on("data", (chunk: string) => (text += chunk));
      incoming.on("end", () => {
        request.destroy();
        settle(() => resolve({ status: incoming.statusCode ?? 0, text }));
      });
      incoming.on("error", (error) => settle(() => reject(error)));
    });
    request.on("error", (error) => settle(() => reject(error)));
    file.on("error", (error) => {
      request.destroy();
      settle(() => reject(new CliError(`${upload.file.path}: cannot be read (${describeCause(error)})`, ExitCode.usage)));
    });
    request.write(head);
    file.on("data", (chunk) => {
      const bytes = chunk.length;
      if (!request.write(chunk)) {
        file.pause();
        request.once("drain", () => {
          sentBytes += bytes;
          upload.progress.advance(bytes);
          file.resume();
        });
      } else {
        sentBytes += bytes;
        upload.progress.advance(bytes);
      }
    });
    file.on("end", () => {
      request.end(tail);
      upload.progress.sent();
    });
  }).catch((error: unknown) => {
    upload.progress.abandon();
    if (error instanceof CliError) throw error;
    throw new CliError(
      `upload of ${upload.file.name} failed after ${formatBytes(sentBytes)} of ${formatBytes(upload.file.size)} were sent: ${describeCause(error)}.\n` +
        `The service keeps nothing of an unfinished upload: ${upload.retryHint}`,
      ExitCode.unavailable,
    );
  });

  if (response.status < 200 || response.status >= 300) {
    upload.progress.abandon();
    throw await upload.client.errorOf({ status: response.status, text: async () => response.text });
  }
  upload.progress.finish();
  try {
    const envelope = JSON.parse(response.text) as { message?: string; result?: unknown };
    return { message: envelope.message ?? "", result: envelope.result };
  } catch {
    return { message: response.text.trim(), result: null };
  }
}

/** A value for a quoted multipart header parameter. */
function quoted(value: string): string {
  return value.replace(/[\r\n]/g, " ").replace(/"/g, "%22");
}
