import { getOption, hasOption, ScalarType, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import { rest_query_flag } from "../../gen/tapis/pods/v1/call_options_pb.js";
import { headerFieldsOf } from "../../edge-gateway/routing/route-table.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";
import { PathTemplate } from "../../edge-gateway/routing/path-template.js";
import { commentOf, SchemaRegistry, type Schema } from "./openapi-schemas.js";

/** How a caller may reach an RPC, as the access table says. */
export type Access = "public" | "user" | "object";

export interface DocumentInput {
  title: string;
  version: string;
  description: string;
  services: readonly DescService[];
  /** The access of `<service type name>/<method name>`. */
  accessOf(service: string, method: string): Access;
}

type Operation = Record<string, unknown>;

const errorResponses: Record<string, string> = {
  "400": "The request breaks a rule; the message names the field and the rule.",
  "401": "No valid Tapis token (X-Tapis-Token).",
  "403": "The caller may not do this.",
  "404": "No such object, or it is not visible to the caller.",
  "409": "It exists already, or its state does not allow this now.",
  "413": "The body is larger than allowed.",
  "500": "The service failed; the message carries a reference for its logs.",
  "503": "A dependency is down; retry shortly.",
  "504": "The service did not answer in time; the request may or may not have been applied.",
};

/**
 * The OpenAPI 3.1 document of the REST API the gateway serves: one
 * operation per google.api.http binding (the first binding of an RPC has its
 * upstream operationId, the snake_case RPC name; other bindings are aliases
 * with a numbered id), request and response schemas from the messages, the
 * Tapis envelope, and the error responses of each operation.
 */
export function buildOpenApiDocument(input: DocumentInput): Record<string, unknown> {
  const schemas = new SchemaRegistry();
  const paths: Record<string, Record<string, Operation>> = {};
  const tags = new Map<string, string | undefined>();
  // Bindings selected by a query flag share their path and verb with another operation: they become its parameter.
  const flagged: { path: string; verb: string; flag: string; method: DescMethod }[] = [];
  for (const service of input.services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const rule = getOption(method, http);
      const tag = tagOf(service, method);
      if (!tags.has(tag)) tags.set(tag, tag === "Permissions" ? "Who may do what with pods, templates, volumes and snapshots." : commentOf(service));
      [rule, ...rule.additionalBindings].forEach((binding, index) => {
        const { case: verb, value } = binding.pattern;
        if (verb === undefined || verb === "custom") return;
        if (hasOption(method, rest_query_flag)) {
          flagged.push({ path: openApiPath(value), verb, flag: getOption(method, rest_query_flag), method });
          return;
        }
        const id = snakeCase(method.name) + (index === 0 ? "" : `_${index + 1}`);
        const operation = operationOf(method, binding, value, id, tag, input.accessOf(service.typeName, method.name), schemas);
        (paths[openApiPath(value)] ??= {})[verb] = operation;
      });
    }
  }
  for (const { path, verb, flag, method } of flagged) {
    const operation = paths[path]?.[verb];
    if (!operation) continue;
    const parameters = (operation.parameters as Schema[] | undefined) ?? [];
    parameters.push({ name: flag, in: "query", required: false, schema: { type: "boolean" }, description: `true: ${commentOf(method) ?? method.name}` });
    operation.parameters = parameters;
    const ok = (operation.responses as Record<string, Schema>)["200"]!;
    (ok.content as Record<string, Schema>)["text/plain"] = { schema: { type: "string", description: `With ${flag}=true, streamed as it comes.` } };
  }
  return {
    openapi: "3.1.0",
    info: { title: input.title, version: input.version, description: input.description },
    servers: [{ url: "/" }],
    tags: [...tags].map(([name, description]) => ({ name, ...(description ? { description } : {}) })),
    paths,
    components: {
      schemas: {
        TapisEnvelope: {
          type: "object",
          description: "Every answer of the API: a message, the result, and the status of the request.",
          properties: {
            message: { type: "string" },
            metadata: { type: "object" },
            status: { type: "string", enum: ["success", "error"] },
            version: { type: "string" },
          },
          required: ["message", "metadata", "result", "status", "version"],
        },
        ErrorEnvelope: {
          allOf: [{ $ref: "#/components/schemas/TapisEnvelope" }, { type: "object", properties: { status: { const: "error" }, result: { type: "null" } } }],
        },
        ...schemas.components,
      },
      responses: Object.fromEntries(
        Object.entries(errorResponses).map(([status, description]) => [`Error${status}`, { description, content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } } }]),
      ),
      securitySchemes: { TapisToken: { type: "apiKey", in: "header", name: "X-Tapis-Token", description: "A Tapis access token (JWT)." } },
    },
  };
}

function operationOf(method: DescMethod, rule: HttpRule, path: string, id: string, tag: string, access: Access, schemas: SchemaRegistry): Operation {
  const input = method.input;
  const bound = new Set(PathTemplate.parse(path).variables());
  const bodyField = rule.body;
  const headerFields = headerFieldsOf(method);
  const fromHeaders = new Set(headerFields.map(({ field }) => field.name));
  const parameters = [
    ...[...bound].map((name) => {
      const field = input.fields.find((f) => f.name === name);
      return { name, in: "path", required: true, schema: field ? schemas.fieldSchema(field) : { type: "string" } };
    }),
    ...(bodyField === "*" || method.methodKind === "client_streaming"
      ? []
      : input.fields
          .filter((f) => !bound.has(f.name) && !fromHeaders.has(f.name) && f.name !== bodyField && f.name !== "update_mask" && (f.fieldKind === "scalar" || f.fieldKind === "enum"))
          .map((f) => ({ name: f.name, in: "query", required: false, schema: schemas.fieldSchema(f) }))),
    ...headerFields.map(({ header, field }) => ({ name: headerName(header), in: "header", required: false, schema: { type: "string" }, ...(commentOf(field) ? { description: commentOf(field) } : {}) })),
  ];
  const operation: Operation = {
    operationId: id,
    tags: [tag],
    ...(commentOf(method) ? { summary: id, description: commentOf(method) } : { summary: id }),
    ...(parameters.length > 0 ? { parameters } : {}),
    security: access === "public" ? [] : [{ TapisToken: [] }],
  };
  const body = requestBodyOf(method, bodyField, bound, schemas);
  if (body) operation.requestBody = body;
  operation.responses = { "200": successOf(method, rule, schemas), ...errorsOf(access, bound.size > 0, Boolean(body), method) };
  if (servesFileVersions(method)) Object.assign(operation.responses as Record<string, Schema>, fileVersionResponses(operation.responses as Record<string, Schema>));
  return operation;
}

/** A download whose answers carry a file's version and parts of it (etag, content_range, not_modified). */
function servesFileVersions(method: DescMethod): boolean {
  const names = new Set(method.output.fields.map((f) => f.name));
  return method.methodKind === "server_streaming" && ["etag", "content_range", "not_modified"].every((name) => names.has(name));
}

const fileHeaders: Record<string, Schema> = {
  ETag: { description: "The file's strong entity tag; it changes whenever the file's content may have. None for a zip.", schema: { type: "string" } },
  "Accept-Ranges": { description: "`bytes` for a file, `none` for a zip (always sent whole).", schema: { type: "string", enum: ["bytes", "none"] } },
  "Content-Length": { description: "The bytes that follow; none for a zip, built while it is sent.", schema: { type: "integer" } },
};

/** The answers of a file download beyond 200, as RFC 9110 defines them. */
function fileVersionResponses(responses: Record<string, Schema>): Record<string, Schema> {
  const ok = responses["200"]!;
  return {
    "200": { ...ok, headers: fileHeaders },
    "206": {
      description: "The part of the file the Range header asked for (one range; several, or a malformed one, get the whole file with 200).",
      headers: { ...fileHeaders, "Content-Range": { description: "`bytes <first>-<last>/<size>`", schema: { type: "string" } } },
      content: ok.content,
    },
    "304": { description: "The file's ETag matches If-None-Match: no body.", headers: { ETag: fileHeaders.ETag } },
    "416": {
      description: "No byte of the file satisfies the Range header (it starts at or past the end).",
      headers: { "Content-Range": { description: "`bytes */<size>`", schema: { type: "string" } } },
      content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } },
    },
  };
}

/** `if-none-match` is written `If-None-Match`. */
function headerName(header: string): string {
  return header.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

function requestBodyOf(method: DescMethod, bodyField: string, bound: ReadonlySet<string>, schemas: SchemaRegistry): Schema | undefined {
  if (method.methodKind === "client_streaming") {
    const properties: Record<string, Schema> = {};
    for (const field of method.input.fields) {
      if (bound.has(field.name)) continue;
      properties[field.name] =
        field.fieldKind === "scalar" && field.scalar === ScalarType.BYTES ? { type: "string", format: "binary", contentMediaType: "application/octet-stream" } : { type: "string", ...(commentOf(field) ? { description: commentOf(field) } : {}) };
    }
    return { required: true, content: { "multipart/form-data": { schema: { type: "object", properties } } } };
  }
  if (bodyField === "*") return { required: true, content: { "application/json": { schema: schemas.objectOf(method.input, new Set([...bound, "update_mask"]), { required: false }) } } };
  if (bodyField) {
    const field = method.input.fields.find((f) => f.name === bodyField);
    return field ? { required: true, content: { "application/json": { schema: schemas.fieldSchema(field) } } } : undefined;
  }
  return undefined;
}

function successOf(method: DescMethod, rule: HttpRule, schemas: SchemaRegistry): Schema {
  if (method.methodKind === "server_streaming") {
    return { description: "The bytes, streamed.", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } };
  }
  const output = method.output;
  if (rule.responseBody) {
    const field = output.fields.find((f) => f.name === rule.responseBody);
    return { description: "Success, answered bare (no envelope).", content: { "application/json": { schema: field ? schemas.fieldSchema(field) : {} } } };
  }
  const result = output.fields.find((f) => f.name === "result");
  const envelope = {
    allOf: [{ $ref: "#/components/schemas/TapisEnvelope" }, { type: "object", properties: { status: { const: "success" }, result: result ? schemas.fieldSchema(result) : { type: "null" } } }],
  };
  return { description: "Success, in the Tapis envelope.", content: { "application/json": { schema: envelope } } };
}

function errorsOf(access: Access, namesAnObject: boolean, hasBody: boolean, method: DescMethod): Record<string, Schema> {
  const statuses = ["400"];
  if (access !== "public") statuses.push("401", "403");
  if (namesAnObject || access === "object") statuses.push("404");
  if (/^(Create|Add|Set|Update|Delete|Start|Stop|Restart)/.test(method.name)) statuses.push("409");
  if (hasBody) statuses.push("413");
  statuses.push("500", "503", "504");
  return Object.fromEntries(statuses.map((status) => [status, { $ref: `#/components/responses/Error${status}` }]));
}

/** Services whose operations upstream lists under Pods. */
const podServices = new Set(["PodAuthService", "PodFilesService", "PodHistoryService", "PodAccessGateService"]);

/** The upstream API's grouping: by resource, with every permission operation under Permissions. */
function tagOf(service: DescService, method: DescMethod): string {
  // Access tokens are credentials to a pod, as upstream files them.
  if (/Permission|AccessToken/.test(method.name)) return "Permissions";
  if (podServices.has(service.name)) return "Pods";
  return service.name.replace(/Service$/, "");
}

/** google.api.http's `{path=**}` is OpenAPI's `{path}`. */
function openApiPath(path: string): string {
  return path.replace(/\{([a-z_]+)=[^}]*\}/g, "{$1}");
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
