import { getOption, hasOption, type DescField, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";
import { call_deadline, http_exchange, rest_header, rest_query_flag, rest_result_field, type CallDeadline, type HttpExchange } from "../../gen/tapis/pods/v1/call_options_pb.js";
import { PathTemplate, pathSegments } from "./path-template.js";

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE" | "PATCH";

/** One REST binding of an RPC, read from its google.api.http rule. */
export interface Route {
  httpMethod: HttpMethod;
  template: PathTemplate;
  service: DescService;
  method: DescMethod;
  /** "" (no body), "*" (the whole request) or the name of the field the body fills. */
  body: string;
  /** "" (the Tapis envelope) or the response field sent bare. */
  responseBody: string;
  /** The method's own deadline rule, when its request names a time limit. */
  callDeadline: CallDeadline | null;
  /** The boolean query parameter that selects this binding over another on the same path and verb; "" for none. */
  queryFlag: string;
  /** For RPCs browsers and proxies call directly: headers handed on, and the raw HTTP answer. */
  exchange: HttpExchange | null;
  /** The response field the envelope's `result` carries: "result" unless the method names another. */
  resultField: string;
  /** Request fields filled from HTTP request headers (lowercase names), not from the query. */
  headerFields: HeaderField[];
}

/** A request field that takes the value of an HTTP request header (the rest_header field option). */
export interface HeaderField {
  header: string;
  field: DescField;
}

/** The request fields of `method` that REST fills from headers. */
export function headerFieldsOf(method: DescMethod): HeaderField[] {
  return method.input.fields.filter((field) => hasOption(field, rest_header)).map((field) => ({ header: getOption(field, rest_header).toLowerCase(), field }));
}

export type RouteMatch =
  | { kind: "found"; route: Route; vars: Record<string, string> }
  | { kind: "wrong-method"; allowed: HttpMethod[] }
  | { kind: "none" };

/** The REST routes of `services`, built from their annotations; no hand-written table. */
export class RouteTable {
  readonly routes: Route[];

  constructor(services: DescService[]) {
    this.routes = services
      .flatMap((service) => service.methods.flatMap((method) => routesOf(service, method)))
      // Among routes of one path, those selected by a query flag are tried first.
      .sort((a, b) => PathTemplate.compareSpecificity(a.template, b.template) || Number(Boolean(b.queryFlag)) - Number(Boolean(a.queryFlag)));
  }

  /**
   * The route of a request. Where bindings share a path and verb, the one
   * whose query flag the request sets to true wins, else the one without.
   */
  match(httpMethod: string, path: string, query: URLSearchParams = new URLSearchParams()): RouteMatch {
    const parts = pathSegments(path);
    if (!parts) return { kind: "none" };
    const allowed: HttpMethod[] = [];
    for (const route of this.routes) {
      if (route.queryFlag && query.get(route.queryFlag)?.toLowerCase() !== "true") continue;
      const vars = route.template.match(parts);
      if (!vars) continue;
      if (route.httpMethod === httpMethod) return { kind: "found", route, vars };
      allowed.push(route.httpMethod);
    }
    return allowed.length > 0 ? { kind: "wrong-method", allowed: [...new Set(allowed)] } : { kind: "none" };
  }
}

function routesOf(service: DescService, method: DescMethod): Route[] {
  if (!hasOption(method, http)) return [];
  const rule = getOption(method, http);
  return [rule, ...rule.additionalBindings].flatMap((binding) => {
    const route = routeOf(service, method, binding);
    return route ? [route] : [];
  });
}

function routeOf(service: DescService, method: DescMethod, rule: HttpRule): Route | null {
  const { case: verb, value } = rule.pattern;
  if (verb === undefined || verb === "custom") return null;
  return {
    httpMethod: verb.toUpperCase() as HttpMethod,
    template: PathTemplate.parse(value),
    service,
    method,
    body: rule.body,
    responseBody: rule.responseBody,
    callDeadline: hasOption(method, call_deadline) ? getOption(method, call_deadline) : null,
    queryFlag: hasOption(method, rest_query_flag) ? getOption(method, rest_query_flag) : "",
    exchange: hasOption(method, http_exchange) ? getOption(method, http_exchange) : null,
    resultField: hasOption(method, rest_result_field) ? getOption(method, rest_result_field) : "result",
    headerFields: headerFieldsOf(method),
  };
}
