import { create } from "@bufbuild/protobuf";
import { HttpAnswerSchema, type HttpAnswer } from "../../gen/tapis/pods/v1/call_options_pb.js";
import { serviceVersion } from "../../shared/version.js";

/*
 * HTTP answers the service composes itself, for the RPCs that browsers and
 * proxies call directly (see HttpExchange in call_options.proto).
 */

/** A redirect to `location` (302, or another status a proxy asks for), with cookies to set. */
export function redirectAnswer(location: string, cookies: string[] = [], status = 302): HttpAnswer {
  return create(HttpAnswerSchema, { status, headers: { Location: location, "Cache-Control": "no-store" }, setCookies: cookies, contentType: "text/plain; charset=utf-8", body: Buffer.from(`See ${location}\n`) });
}

/** The Tapis envelope with `message`, as every other REST answer has it. */
export function envelopeAnswer(status: number, message: string, headers: Record<string, string> = {}, cookies: string[] = []): HttpAnswer {
  const ok = status < 400;
  const body = JSON.stringify({ message, metadata: {}, result: null, status: ok ? "success" : "error", version: serviceVersion });
  return create(HttpAnswerSchema, { status, headers: { "Cache-Control": "no-store", ...headers }, setCookies: cookies, contentType: "application/json", body: Buffer.from(body) });
}

export function htmlAnswer(status: number, html: string, headers: Record<string, string> = {}): HttpAnswer {
  return create(HttpAnswerSchema, {
    status,
    headers: { "Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "X-Frame-Options": "DENY", ...headers },
    contentType: "text/html; charset=utf-8",
    body: Buffer.from(html),
  });
}

/** Text safe inside HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
