/** A REST answer: the HTTP status, the Tapis envelope and the headers. */
export interface ApiAnswer {
  status: number;
  body: {
    message: string;
    metadata: Record<string, unknown>;
    result: any;
    status: "success" | "error";
    version: string;
  };
  headers: Headers;
}

export interface ApiOptions {
  token?: string;
  /** Sent as JSON; a string is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** One call to the REST API at `baseUrl`. */
export async function callApi(baseUrl: string, method: string, path: string, options: ApiOptions = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers["X-Tapis-Token"] = options.token;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text), headers: response.headers };
  } catch {
    throw new Error(`${method} ${path} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
}
