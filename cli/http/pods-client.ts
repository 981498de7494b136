import { ServiceError, UnreachableError } from "../cli-error.js";
import { cliVersion } from "../cli-version.js";

/** What a successful call answered: the envelope's message and result. */
export interface Answer<T> {
  message: string;
  result: T;
}

export interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls the Pods REST API at `baseUrl` with the caller's token. Any answer
 * other than 2xx becomes a ServiceError carrying the service's own message;
 * a request that gets no answer becomes an UnreachableError.
 */
export class PodsClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    /** Added to a 401's message: how to get a token that works. */
    private readonly authHint: string,
  ) {}

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
    const headers = this.headers();
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await this.send(method, path, { headers, body, signal: options.signal }, options.query);
    const text = await response.text();
    let envelope: { message?: unknown; result?: unknown };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new ServiceError(response.status, `the service answered with something other than JSON: ${text.slice(0, 200)}`);
    }
    return { message: typeof envelope.message === "string" ? envelope.message : "", result: envelope.result as T };
  }

  /**
   * A request whose body the caller reads as a stream. Error statuses other
   * than those in `accept` are turned into errors.
   */
  async send(
    method: string,
    path: string,
    init: RequestInit & { headers?: Record<string, string> },
    query?: CallOptions["query"],
    accept: number[] = [],
  ): Promise<Response> {
    const url = this.url(path, query);
    let response: Response;
    try {
      response = await fetch(url, { ...init, method, headers: { ...this.headers(), ...init.headers } });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new UnreachableError(this.baseUrl, error);
    }
    if (!response.ok && !accept.includes(response.status)) throw await this.errorOf(response);
    return response;
  }

  /** The ServiceError an error response stands for, with the service's message. */
  async errorOf(response: { status: number; text(): Promise<string> }): Promise<ServiceError> {
    const text = await response.text().catch(() => "");
    let message = text.trim().slice(0, 500) || "no message";
    try {
      const envelope = JSON.parse(text) as { message?: unknown };
      if (typeof envelope.message === "string") message = envelope.message;
      else if (Array.isArray(envelope.message)) message = envelope.message.join("; ");
    } catch {
      // Not the Tapis envelope (a proxy's page): its text is the best message there is.
    }
    const hint = response.status === 401 ? this.authHint : response.status === 501 ? `the service at ${this.baseUrl} does not offer this operation (yet)` : "";
    return new ServiceError(response.status, message, hint);
  }

  url(path: string, query: CallOptions["query"] = {}): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = { "User-Agent": `tapis-pods-cli/${cliVersion()}` };
    if (this.token) headers["X-Tapis-Token"] = this.token;
    return headers;
  }
}

/** A path segment or a slash-separated path with each segment escaped. */
export function escapePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}
