import http from "node:http";

/** An answer as a browser would see it: no redirect followed, cookies as sent. */
export interface GateAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface GateRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as an HTML form (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  /** The address the request comes from (any 127.x.y.z reaches this machine), to act as different clients. */
  from?: string;
}

/** One HTTP request to `baseUrl` + `path`, sent as given (no URL normalisation, no redirects followed). */
export function gateRequest(baseUrl: string, path: string, options: GateRequestOptions = {}): Promise<GateAnswer> {
  const url = new URL(baseUrl);
  const body = options.form ? Buffer.from(new URLSearchParams(options.form).toString()) : undefined;
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? (body ? "POST" : "GET"),
        path,
        localAddress: options.from,
        agent: false,
        headers: {
          ...(body ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length) } : {}),
          ...options.headers,
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.once("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
        response.once("error", reject);
      },
    );
    request.once("error", reject);
    request.end(body);
  });
}

/** The value of cookie `name` in an answer's Set-Cookie headers, and its attributes. */
export function setCookie(answer: GateAnswer, name: string): { value: string; attributes: string[] } | undefined {
  for (const line of answer.headers["set-cookie"] ?? []) {
    const [pair, ...attributes] = line.split(";").map((part) => part.trim());
    if (pair!.startsWith(`${name}=`)) return { value: pair!.slice(name.length + 1), attributes };
  }
  return undefined;
}
