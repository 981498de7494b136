import type { IncomingHttpHeaders } from "node:http";
import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { decodeField, decodeMessageJson, decodeTextField, decodeTextList, RequestShapeError } from "../../shared/rest-json/rest-json-decoder.js";
import type { Route } from "../routing/route-table.js";

type Init = Record<string, unknown>;

const updateMaskField = "update_mask";

/**
 * Builds the RPC request from a REST call: path variables, query parameters
 * (a repeated field's once per item), the JSON body, as the route's http rule
 * binds them, and the request headers that fields with the rest_header
 * option name. For body "*"
 * requests with an update_mask, the mask is the set of top-level keys the
 * body holds, so an update changes exactly the fields sent. Throws
 * RequestShapeError listing every problem.
 */
export function buildRequest(route: Route, vars: Record<string, string>, query: URLSearchParams, body: unknown, headers: IncomingHttpHeaders = {}): Init {
  const input = route.method.input;
  const problems: string[] = [];
  const fromHeaders = new Set(route.headerFields.map(({ field }) => field.name));
  const bound = new Set([...route.template.variables(), ...fromHeaders]);
  let init: Init = {};

  for (const [name, text] of Object.entries(vars)) {
    const field = fieldNamed(input, name);
    if (!field) throw new Error(`route ${route.template.source} binds unknown field ${name}`);
    setField(init, field, decodeTextField(field, text, name, problems));
  }

  for (const name of new Set(query.keys())) {
    const field = fieldNamed(input, name);
    const fromBody = route.body === "*" || route.body === name;
    if (!field || bound.has(name) || fromBody || name === updateMaskField) {
      problems.push(`${name}: unknown query parameter`);
      continue;
    }
    const texts = query.getAll(name);
    if (field.fieldKind === "list") {
      setField(init, field, decodeTextList(field, texts, name, problems));
      continue;
    }
    if (texts.length > 1) problems.push(`${name}: given more than once`);
    setField(init, field, decodeTextField(field, texts[0]!, name, problems));
  }

  for (const { header, field } of route.headerFields) {
    const value = headers[header];
    if (value !== undefined) setField(init, field, decodeTextField(field, Array.isArray(value) ? value.join(", ") : value, header, problems));
  }

  if (route.body === "*") {
    const skip = new Set([...bound, updateMaskField]);
    init = { ...decodeMessageJson(input, body ?? {}, "", problems, skip), ...init };
    const mask = fieldNamed(input, updateMaskField);
    if (mask && isObject(body)) init[mask.localName] = { paths: Object.keys(body).filter((k) => !skip.has(k)) };
  } else if (route.body !== "" && body !== undefined) {
    const field = fieldNamed(input, route.body)!;
    setField(init, field, body === null ? undefined : decodeField(field, body as JsonValue, route.body, problems));
  }

  if (problems.length > 0) throw new RequestShapeError(problems);
  return init;
}

function fieldNamed(desc: DescMessage, name: string): DescField | undefined {
  return desc.fields.find((f) => f.name === name);
}

function setField(init: Init, field: DescField, value: unknown): void {
  if (value !== undefined) init[field.localName] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
