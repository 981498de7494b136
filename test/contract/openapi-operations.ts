import { isMap, isScalar, parse, parseDocument } from "yaml";

/*
 * The operations of an OpenAPI file, reduced to what the contract tests need:
 * method, served path, operationId and the kind of request body. No prose.
 */

type Json = Record<string, any>;

export type RequestBody = { kind: "none" } | { kind: "json"; sample: unknown } | { kind: "multipart"; formFields: string[] };

export interface SpecOperation {
  method: string;
  /** The path as served, with the spec's `{param}` placeholders, e.g. /v3/pods/{pod_id}. */
  path: string;
  operationId: string;
  body: RequestBody;
}

export interface Spec {
  operations: SpecOperation[];
  /** Every operation the file declares, including those a repeated YAML key hides. */
  declared: { key: string; operationId: string }[];
}

/** The reference files the contract is checked against. */
export const referenceFiles = [
  "pods-openapi-upstream-latest.yml",
  "pods-openapi-tapipy-1.9.0.yml",
  "authenticator-openapi-tapipy-1.9.0.yml",
  "tenants-openapi-tapipy-1.9.0.yml",
];

const httpMethods = ["get", "put", "post", "delete", "patch"];

/** Pods spec paths are relative to /v3; the tenants and authenticator specs already include it. */
export function servedPrefixOf(file: string): string {
  return file.startsWith("pods-") ? "/v3" : "";
}

export function parseOpenApiOperations(text: string, servedPrefix: string): Spec {
  // A repeated key keeps its last value, as PyYAML (the upstream service's own loader) does.
  const document = parse(text, { uniqueKeys: false }) as Json;
  const operations = Object.entries(document.paths as Json).flatMap(([path, item]: [string, Json]) =>
    httpMethods
      .filter((method) => item[method])
      .map((method) => ({
        method: method.toUpperCase(),
        path: servedPrefix + path,
        operationId: item[method].operationId as string,
        body: requestBodyOf(item[method], document),
      })),
  );
  return { operations, declared: declaredOperations(text, servedPrefix) };
}

function declaredOperations(text: string, servedPrefix: string): Spec["declared"] {
  const paths = parseDocument(text, { uniqueKeys: false }).get("paths");
  if (!isMap(paths)) throw new Error("the spec has no paths map");
  return paths.items.flatMap(({ key: path, value: item }) => {
    if (!isScalar(path) || !isMap(item)) return [];
    return item.items.flatMap(({ key: method, value: operation }) => {
      if (!isScalar(method) || !httpMethods.includes(String(method.value)) || !isMap(operation)) return [];
      const key = `${String(method.value).toUpperCase()} ${servedPrefix}${String(path.value)}`;
      return [{ key, operationId: String(operation.get("operationId")) }];
    });
  });
}

function requestBodyOf(operation: Json, document: Json): RequestBody {
  const content: Json = operation.requestBody?.content ?? {};
  const form = content["multipart/form-data"];
  if (form) {
    const schema = resolveSchema(form.schema, document);
    return { kind: "multipart", formFields: Object.keys(schema.properties ?? {}) };
  }
  const json = content["application/json"];
  if (json) return { kind: "json", sample: resolveSchema(json.schema, document).type === "array" ? [] : {} };
  return { kind: "none" };
}

function resolveSchema(schema: Json, document: Json): Json {
  const ref = schema?.$ref as string | undefined;
  if (!ref) return schema ?? {};
  const name = ref.replace("#/components/schemas/", "");
  return document.components.schemas[name] ?? {};
}
