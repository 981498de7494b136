import { readFileSync } from "node:fs";
import type http from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { stringify } from "yaml";

/** The files of the docs viewer (swagger-ui-dist) the page loads; nothing else of the package is served. */
const viewerFiles: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/**
 * The API's own description, served by the gateway: the OpenAPI 3.1
 * document generated from the proto (gen/openapi.json) as JSON and YAML, and
 * a docs page rendered by Swagger UI from the package itself (no CDN), whose
 * "try it" calls this service with the token the reader gives.
 */
export class ApiDocs {
  private readonly json: string;
  private readonly yaml: string;
  private readonly viewerDir: string;

  constructor(private readonly prefix = "/v3/pods") {
    const document = JSON.parse(readFileSync(new URL("../../../gen/openapi.json", import.meta.url), "utf8")) as unknown;
    this.json = JSON.stringify(document);
    this.yaml = stringify(document);
    this.viewerDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  }

  /** The route template a docs request is logged under, or null when it is not one. */
  routeOf(path: string): string | null {
    if (path === `${this.prefix}/openapi.json` || path === `${this.prefix}/openapi.yaml` || path === `${this.prefix}/docs`) return path;
    if (path.startsWith(`${this.prefix}/docs/`) && viewerFiles[path.slice(this.prefix.length + 6)]) return `${this.prefix}/docs/{file}`;
    return null;
  }

  answer(path: string, res: http.ServerResponse): void {
    if (path.endsWith("/openapi.json")) return send(res, "application/json", this.json);
    if (path.endsWith("/openapi.yaml")) return send(res, "application/yaml; charset=utf-8", this.yaml);
    if (path === `${this.prefix}/docs`) return send(res, "text/html; charset=utf-8", page(this.prefix));
    const file = path.slice(this.prefix.length + 6);
    send(res, viewerFiles[file]!, readFileSync(join(this.viewerDir, file)), "public, max-age=86400");
  }
}

function send(res: http.ServerResponse, type: string, body: string | Buffer, cache = "no-cache"): void {
  res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": cache });
  res.end(body);
}

function page(prefix: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tapis Pods API</title>
  <link rel="icon" type="image/png" href="${prefix}/docs/favicon-32x32.png">
  <link rel="stylesheet" href="${prefix}/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${prefix}/docs/swagger-ui-bundle.js"></script>
  <script src="${prefix}/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "${prefix}/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>
`;
}
