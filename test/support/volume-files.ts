import { randomBytes } from "node:crypto";
import http from "node:http";
import { join } from "node:path";
import type { ApiAnswer } from "./rest-call.js";
import { eventually } from "./eventually.js";

/** An HTTP answer whose body may be a file. */
export interface FileAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The Tapis envelope, when the answer is JSON. */
  json: { message: string; result: any; status: string } | null;
}

/**
 * Sends a request with `rawPath` exactly as given: no URL parser resolves
 * `..` or `%2e%2e` on the way, as a hostile client would send it.
 */
export function rawRequest(baseUrl: string, method: string, rawPath: string, options: { token?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<FileAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: rawPath,
        headers: {
          ...(options.token ? { "X-Tapis-Token": options.token } : {}),
          ...(options.body ? { "Content-Length": String(options.body.length) } : {}),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          const isJson = (response.headers["content-type"] ?? "").startsWith("application/json");
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json: isJson && body.length > 0 ? JSON.parse(body.toString("utf8")) : null });
        });
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** A multipart/form-data body with `content` as the part named `file`. */
export function multipartFile(content: Buffer, fileName = "upload.bin"): { body: Buffer; contentType: string } {
  const boundary = `----pods${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads `content` to `rawPath` (e.g. /v3/pods/volumes/v/upload/data/a.txt) as a multipart form. */
export function uploadFile(baseUrl: string, token: string, rawPath: string, content: Buffer): Promise<FileAnswer> {
  const form = multipartFile(content);
  return rawRequest(baseUrl, "POST", rawPath, { token, body: form.body, headers: { "Content-Type": form.contentType } });
}

/** Polls a volume or snapshot (`/v3/pods/volumes/<id>`) until its status is `status`. */
export async function waitForStorageStatus(api: (method: string, path: string, options: { token: string }) => Promise<ApiAnswer>, token: string, path: string, status: string, timeoutMs = 20_000): Promise<any> {
  let last: ApiAnswer | undefined;
  try {
    return await eventually(
      `${path} to be ${status}`,
      async () => {
        last = await api("GET", path, { token });
        return last.body.result?.status === status ? last.body.result : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${JSON.stringify(last?.body)}`);
  }
}

/** The folder where the embedded agent keeps a tenant's volume or snapshot. */
export function storedFolder(dataDir: string, kind: "volumes" | "snapshots", tenantId: string, id: string): string {
  return join(dataDir, "storage", kind, tenantId, id);
}
