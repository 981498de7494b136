import { createHash } from "node:crypto";
import { join } from "node:path";
import { EdgeProtocol, type EdgeRoute, type EdgeRoutes } from "../../gen/tapis/pods/v1/edge_service_pb.js";

/** Where and how the nginx edge proxy runs. */
export interface NginxOptions {
  /** nginx's prefix: its pid file, logs, temporary files and the sockets between its own servers. */
  runDir: string;
  /** Where clients connect for every pod (TLS, like Traefik's port 443): "443", "0.0.0.0:443", "127.0.0.1:8443". */
  listen: string;
  /** The certificate presented for pod hosts (a wildcard for *.pods.<tenant>.<domain>), and its key. */
  certificate: string;
  certificateKey: string;
  /** Dynamic modules to load (Debian's stream module). */
  modules: string[];
  /** DNS server(s) for upstream names (the cluster's DNS); none when upstreams are addresses. */
  resolver?: string;
}

/** The configuration, and routes left out because a value could not be written safely. */
export interface NginxConfig {
  text: string;
  skipped: { route: string; reason: string }[];
}

/**
 * Renders the edge model as one nginx configuration, the way Traefik's
 * renderer does (see control-plane/edge/traefik-config.ts):
 *
 * - A stream server on `listen` reads each connection's TLS SNI
 *   (ssl_preread) and passes it, with the client's address (PROXY protocol),
 *   to an nginx server of its own over a Unix socket: the HTTPS server for
 *   http routes (and unknown names, answered 404), a TLS-ending stream
 *   server per tcp route, a plain one per postgres route (TLS passes through
 *   to the pod). A tcp or postgres route's ip_allow_list is applied there,
 *   by the client's address.
 * - Each http route is a server by host name: its ip_allow_list answers 403,
 *   a CORS preflight is answered as configured, then tapis_auth asks the
 *   forward-auth address (auth_request) and copies the allowed answer's
 *   headers onto the request, replacing the client's. A login redirect comes
 *   back as 401 with Location (nginx cannot pass a redirect on) and goes to
 *   the browser as a redirect; the login callback on the pod's host goes to
 *   the API without asking. The access gate is asked the same way; its
 *   refusal (the login form) is asked for again and sent as the gate wrote
 *   it, and redemptions on the pod's host go to the API without asking.
 */
export function nginxConfig(model: EdgeRoutes, options: NginxOptions): NginxConfig {
  const skipped: NginxConfig["skipped"] = [];
  const routes = model.routes.filter((route) => {
    const problem = unsafeValue(route, model.apiUrl);
    if (problem) skipped.push({ route: route.name, reason: problem });
    return !problem;
  });
  const run = options.runDir;
  const socket = (name: string) => `unix:${join(run, "s", `${name}.sock`)}`;
  const http = routes.filter((route) => route.protocol === EdgeProtocol.HTTP);
  const streams = routes.filter((route) => route.protocol !== EdgeProtocol.HTTP);
  const resolver = options.resolver ? `  resolver ${options.resolver};\n` : "";
  const lines: string[] = [
    ...options.modules.map((module) => `load_module ${module};`),
    `pid ${join(run, "nginx.pid")};`,
    `error_log ${join(run, "error.log")} warn;`,
    "worker_processes 1;",
    "events { worker_connections 1024; }",
    "",
    "http {",
    `  access_log ${join(run, "access.log")};`,
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${join(run, "tmp", kind)};`),
    "  server_tokens off;",
    "  proxy_http_version 1.1;",
    resolver.trimEnd(),
    `  ssl_certificate ${options.certificate};`,
    `  ssl_certificate_key ${options.certificateKey};`,
    "  set_real_ip_from unix:;",
    "  real_ip_header proxy_protocol;",
    "  map $http_upgrade $pods_connection { default upgrade; \"\" \"\"; }",
    '  map "$request_method:$http_access_control_request_method:$http_origin" $pods_preflight { default 0; "~^OPTIONS:.+:.+$" 1; }',
    "  server {",
    `    listen ${socket("http")} ssl proxy_protocol default_server;`,
    "    return 404;",
    "  }",
    ...http.flatMap((route, index) => httpServer(route, index, model.apiUrl, socket("http"))),
    "}",
    "",
    "stream {",
    resolver.trimEnd(),
    ...streams.flatMap((route, index) => streamServers(route, index, socket, options)),
    "  map $ssl_preread_server_name $pods_target {",
    "    hostnames;",
    ...http.map((route) => `    ${route.host} ${socket("http")};`),
    ...streams.map((route, index) => `    ${route.host} ${route.ipAllowList.length > 0 ? `$pods_stream_${index}` : socket(streamSocket(route))};`),
    `    default ${socket("http")};`,
    "  }",
    "  server {",
    `    listen ${options.listen};`,
    "    ssl_preread on;",
    "    proxy_protocol on;",
    "    proxy_pass $pods_target;",
    "  }",
    "  server {",
    `    listen ${socket("deny")} proxy_protocol;`,
    '    return "";',
    "  }",
    "}",
    "",
  ];
  return { text: lines.filter((line) => line !== "").join("\n") + "\n", skipped };
}

function httpServer(route: EdgeRoute, index: number, apiUrl: string, listen: string): string[] {
  const v = (name: string) => `$pods_${index}_${name}`;
  const lines: string[] = [];
  if (route.ipAllowList.length > 0) {
    lines.push(`  geo ${v("allowed")} {`, "    default 0;", ...route.ipAllowList.map((range) => `    ${range} 1;`), "  }");
  }
  const cors = route.cors;
  if (cors) {
    const any = cors.allowOrigins.includes("*");
    lines.push(`  map $http_origin ${v("origin")} {`, `    default ${any ? '"*"' : '""'};`, ...cors.allowOrigins.filter((o) => o !== "*").map((o) => `    "${o}" "${o}";`), "  }");
  }
  const forwarded = [
    "      proxy_set_header Host $host;",
    "      proxy_set_header X-Forwarded-Host $http_host;",
    "      proxy_set_header X-Forwarded-Proto https;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Real-IP $remote_addr;",
  ];
  lines.push("  server {", `    listen ${listen};`, `    server_name ${route.host};`);
  if (route.ipAllowList.length > 0) lines.push(`    if (${v("allowed")} = 0) { return 403; }`);
  lines.push(`    set ${v("upstream")} "http://${route.upstream}";`);
  if (route.auth) {
    lines.push(
      `    set ${v("api")} "${apiUrl}";`,
      `    set ${v("auth")} "${route.auth.address}";`,
      `    location = ${route.auth.callbackPath} {`,
      ...forwarded,
      `      proxy_pass ${v("api")};`,
      "    }",
    );
  }
  if (route.gate) {
    lines.push(
      `    set ${v("api")} "${apiUrl}";`,
      `    set ${v("gate")} "${route.gate.address}";`,
      `    location = ${route.gate.redeemPath} {`,
      ...forwarded,
      `      proxy_pass ${v("api")};`,
      "    }",
    );
  }
  lines.push("    location / {");
  if (cors) {
    const preflight = [
      `add_header Access-Control-Allow-Origin ${v("origin")} always;`,
      cors.allowMethods.length > 0 ? `add_header Access-Control-Allow-Methods "${cors.allowMethods.join(",")}" always;` : "",
      cors.allowHeaders.length > 0 ? `add_header Access-Control-Allow-Headers "${cors.allowHeaders.join(",")}" always;` : "",
      cors.allowCredentials ? "add_header Access-Control-Allow-Credentials true always;" : "",
      `add_header Access-Control-Max-Age ${cors.maxAge} always;`,
      "return 200;",
    ].filter(Boolean);
    lines.push(`      if ($pods_preflight) { ${preflight.join(" ")} }`);
  }
  if (route.auth) {
    lines.push(
      "      auth_request /.pods-edge/auth;",
      "      auth_request_set $pods_login $upstream_http_location;",
      "      auth_request_set $pods_login_cookie $upstream_http_set_cookie;",
      "      error_page 401 = @pods_login;",
      ...route.auth.responseHeaders.flatMap((header, h) => [
        `      auth_request_set ${v(`h${h}`)} $upstream_http_${header.toLowerCase().replace(/-/g, "_")};`,
        `      proxy_set_header ${header} ${v(`h${h}`)};`,
      ]),
    );
  }
  if (route.gate) {
    lines.push(
      "      auth_request /.pods-edge/gate;",
      "      auth_request_set $pods_gate_redeem $upstream_http_location;",
      "      error_page 401 = @pods_gate;",
      ...route.gate.responseHeaders.flatMap((header, h) => [
        `      auth_request_set ${v(`g${h}`)} $upstream_http_${header.toLowerCase().replace(/-/g, "_")};`,
        `      proxy_set_header ${header} ${v(`g${h}`)};`,
      ]),
    );
  }
  if (cors) {
    lines.push(
      "      proxy_hide_header Access-Control-Allow-Origin;",
      `      add_header Access-Control-Allow-Origin ${v("origin")} always;`,
      ...(cors.allowCredentials ? ["      proxy_hide_header Access-Control-Allow-Credentials;", "      add_header Access-Control-Allow-Credentials true always;"] : []),
      ...(cors.addVaryHeader ? ["      add_header Vary Origin always;"] : []),
    );
  }
  lines.push(
    ...forwarded,
    "      proxy_set_header Upgrade $http_upgrade;",
    "      proxy_set_header Connection $pods_connection;",
    `      proxy_pass ${v("upstream")};`,
    "    }",
  );
  if (route.auth) {
    lines.push(
      "    location = /.pods-edge/auth {",
      "      internal;",
      "      proxy_pass_request_body off;",
      '      proxy_set_header Content-Length "";',
      "      proxy_set_header X-Forwarded-Host $http_host;",
      "      proxy_set_header X-Forwarded-Proto https;",
      "      proxy_set_header X-Forwarded-Uri $request_uri;",
      "      proxy_set_header X-Forwarded-Method $request_method;",
      "      proxy_set_header X-Pods-Redirect-Status 401;",
      `      proxy_pass ${v("auth")};`,
      "    }",
      "    location @pods_login {",
      '      if ($pods_login) { add_header Set-Cookie $pods_login_cookie always; add_header Cache-Control "no-store" always; return 302 $pods_login; }',
      "      return 401;",
      "    }",
    );
  }
  if (route.gate) {
    const askGate = [
      "      proxy_pass_request_body off;",
      '      proxy_set_header Content-Length "";',
      "      proxy_set_header X-Forwarded-Host $http_host;",
      "      proxy_set_header X-Forwarded-Proto https;",
      "      proxy_set_header X-Forwarded-Uri $request_uri;",
      "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    ];
    lines.push(
      "    location = /.pods-edge/gate {",
      "      internal;",
      ...askGate,
      "      proxy_set_header X-Pods-Redirect-Status 401;",
      `      proxy_pass ${v("gate")};`,
      "    }",
      // A redeemable link goes to redemption; any other refusal shows the gate's own answer (its login form).
      "    location @pods_gate {",
      // Relative, as the gate wrote it: the browser stays on the host and port it came through.
      "      absolute_redirect off;",
      '      if ($pods_gate_redeem) { add_header Cache-Control "no-store" always; return 302 $pods_gate_redeem; }',
      "      proxy_method GET;",
      ...askGate,
      `      proxy_pass ${v("gate")};`,
      "    }",
    );
  }
  lines.push("  }");
  return lines;
}

function streamServers(route: EdgeRoute, index: number, socket: (name: string) => string, options: NginxOptions): string[] {
  const lines: string[] = [];
  const own = socket(streamSocket(route));
  if (route.ipAllowList.length > 0) {
    lines.push(`  geo $pods_stream_${index} {`, `    default ${socket("deny")};`, ...route.ipAllowList.map((range) => `    ${range} ${own};`), "  }");
  }
  const terminated = route.protocol === EdgeProtocol.TCP;
  lines.push(
    "  server {",
    `    listen ${own}${terminated ? " ssl" : ""} proxy_protocol;`,
    ...(terminated ? [`    ssl_certificate ${options.certificate};`, `    ssl_certificate_key ${options.certificateKey};`] : []),
    `    set $pods_stream_upstream_${index} "${route.upstream}";`,
    `    proxy_pass $pods_stream_upstream_${index};`,
    "  }",
  );
  return lines;
}

/** A stream route's own socket, named after the route so it stays the same across reloads. */
function streamSocket(route: EdgeRoute): string {
  return `r${createHash("sha256").update(route.name).digest("hex").slice(0, 16)}`;
}

/**
 * Why a value of the route cannot be written into the configuration as it
 * is (the edge's rules keep such values out; this guards the syntax). nginx
 * reads '$' in quoted strings as a variable, and quotes, braces, ';' and
 * blanks end a value.
 */
function unsafeValue(route: EdgeRoute, apiUrl: string): string | null {
  const values = [
    route.host,
    route.upstream,
    ...route.ipAllowList,
    ...(route.auth ? [route.auth.address, route.auth.callbackPath, apiUrl, ...route.auth.responseHeaders] : []),
    ...(route.gate ? [route.gate.address, route.gate.redeemPath, apiUrl, ...route.gate.responseHeaders] : []),
    ...(route.cors ? [...route.cors.allowOrigins, ...route.cors.allowMethods, ...route.cors.allowHeaders] : []),
  ];
  const bad = values.find((value) => value === "" || /[\s"'\\${};]/.test(value));
  return bad === undefined ? null : `value ${JSON.stringify(bad.slice(0, 80))} cannot be written into an nginx configuration`;
}
