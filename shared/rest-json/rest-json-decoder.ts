import { ScalarType, fromJson, type DescEnum, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { allowedEnumNames, enumValueByName } from "./enum-names.js";

/** A request that does not fit the contract; each problem names the field and the rule. */
export class RequestShapeError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "RequestShapeError";
  }
}

type Init = Record<string, unknown>;

const int32Range = { min: -2_147_483_648, max: 2_147_483_647 };
const uint32Range = { min: 0, max: 4_294_967_295 };

/**
 * Turns REST JSON into a message init for `desc`, strictly: proto field names
 * only, unknown fields refused, every value of the field's type. Collects
 * problems into `problems` (as "path: rule") instead of stopping at the first.
 * `skip` lists fields the JSON may not set (bound by the path, or gateway-owned).
 */
export function decodeMessageJson(desc: DescMessage, json: unknown, path: string, problems: string[], skip: ReadonlySet<string> = new Set()): Init {
  const init: Init = {};
  if (!isObject(json)) {
    problems.push(`${path || "body"}: expected a JSON object, got ${describe(json)}`);
    return init;
  }
  for (const [key, value] of Object.entries(json)) {
    const at = path ? `${path}.${key}` : key;
    const field = desc.fields.find((f) => f.name === key);
    if (!field || skip.has(key)) {
      problems.push(`${at}: unknown field`);
      continue;
    }
    if (value === null) continue;
    const decoded = decodeField(field, value, at, problems);
    if (decoded === undefined) continue;
    if (field.oneof) init[field.oneof.localName] = { case: field.localName, value: decoded };
    else init[field.localName] = decoded;
  }
  return init;
}

/** Decodes one field's JSON value; undefined when it was refused. */
export function decodeField(field: DescField, value: JsonValue, at: string, problems: string[]): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return decodeScalar(field.scalar, value, at, problems);
    case "enum":
      return decodeEnum(field.enum, value, at, problems);
    case "message":
      return decodeMessageValue(field.message, value, at, problems);
    case "list": {
      if (!Array.isArray(value)) {
        problems.push(`${at}: expected a list, got ${describe(value)}`);
        return undefined;
      }
      return value.map((item, i) => decodeListItem(field, item, `${at}[${i}]`, problems));
    }
    case "map": {
      if (!isObject(value)) {
        problems.push(`${at}: expected an object, got ${describe(value)}`);
        return undefined;
      }
      const out: Init = {};
      for (const [key, item] of Object.entries(value)) {
        const itemAt = `${at}.${key}`;
        if (field.mapKind === "message") {
          // A null entry is kept as an empty message: "remove this entry".
          out[key] = item === null ? {} : decodeMessageValue(field.message, item, itemAt, problems);
        } else if (item === null) {
          problems.push(`${itemAt}: must not be null`);
        } else {
          out[key] = field.mapKind === "enum" ? decodeEnum(field.enum, item, itemAt, problems) : decodeScalar(field.scalar, item, itemAt, problems);
        }
      }
      return out;
    }
  }
}

function decodeListItem(field: DescField & { fieldKind: "list" }, item: JsonValue, at: string, problems: string[]): unknown {
  if (item === null) {
    problems.push(`${at}: must not be null`);
    return undefined;
  }
  if (field.listKind === "message") return decodeMessageValue(field.message, item, at, problems);
  if (field.listKind === "enum") return decodeEnum(field.enum, item, at, problems);
  return decodeScalar(field.scalar, item, at, problems);
}

function decodeMessageValue(desc: DescMessage, value: JsonValue, at: string, problems: string[]): unknown {
  switch (desc.typeName) {
    case "google.protobuf.Struct":
      if (!isObject(value)) problems.push(`${at}: expected an object, got ${describe(value)}`);
      return value;
    case "google.protobuf.Value":
      return value;
    case "google.protobuf.ListValue":
      if (!Array.isArray(value)) {
        problems.push(`${at}: expected a list, got ${describe(value)}`);
        return undefined;
      }
      return fromJson(desc, value);
    case "google.protobuf.Timestamp":
      if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
        problems.push(`${at}: expected an RFC 3339 date-time string`);
        return undefined;
      }
      return fromJson(desc, new Date(value).toISOString());
    case "google.protobuf.FieldMask":
      problems.push(`${at}: unknown field`);
      return undefined;
    default:
      return decodeMessageJson(desc, value, at, problems);
  }
}

function decodeEnum(desc: DescEnum, value: JsonValue, at: string, problems: string[]): number | undefined {
  const found = typeof value === "string" ? enumValueByName(desc, value) : undefined;
  if (!found) {
    problems.push(`${at}: must be one of ${allowedEnumNames(desc).join(", ")} (got ${JSON.stringify(value)})`);
    return undefined;
  }
  return found.number;
}

/** Decodes a scalar from JSON; also used for path and query strings via `fromText`. */
export function decodeScalar(type: ScalarType, value: JsonValue, at: string, problems: string[]): unknown {
  switch (type) {
    case ScalarType.STRING:
      if (typeof value === "string") return value;
      problems.push(`${at}: expected a string, got ${describe(value)}`);
      return undefined;
    case ScalarType.BOOL:
      if (typeof value === "boolean") return value;
      problems.push(`${at}: expected true or false, got ${describe(value)}`);
      return undefined;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof value === "number" && Number.isFinite(value)) return value;
      problems.push(`${at}: expected a number, got ${describe(value)}`);
      return undefined;
    case ScalarType.BYTES:
      if (typeof value === "string") {
        try {
          return base64Decode(value);
        } catch {
          /* reported below */
        }
      }
      problems.push(`${at}: expected base64 text`);
      return undefined;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64: {
      const unsigned = type === ScalarType.UINT64 || type === ScalarType.FIXED64;
      if ((typeof value === "number" && Number.isSafeInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value))) {
        const big = BigInt(value);
        if (!unsigned || big >= 0n) return big;
      }
      problems.push(`${at}: expected ${unsigned ? "a non-negative " : "an "}integer, got ${describe(value)}`);
      return undefined;
    }
    default: {
      const range = type === ScalarType.UINT32 || type === ScalarType.FIXED32 ? uint32Range : int32Range;
      if (typeof value === "number" && Number.isInteger(value) && value >= range.min && value <= range.max) return value;
      problems.push(`${at}: expected an integer between ${range.min} and ${range.max}, got ${describe(value)}`);
      return undefined;
    }
  }
}

/**
 * Decodes a path variable or query parameter (always text) into the field's
 * type. Booleans accept true/false in any case (Python clients send "True").
 */
export function decodeTextField(field: DescField, text: string, at: string, problems: string[]): unknown {
  if (field.fieldKind === "enum") return decodeEnum(field.enum, text, at, problems);
  if (field.fieldKind !== "scalar") {
    problems.push(`${at}: cannot be given in the URL`);
    return undefined;
  }
  return decodeTextScalar(field.scalar, text, at, problems);
}

/**
 * Decodes a query parameter given once per item (`command=ls&command=-la`)
 * into a repeated field of scalars or enums.
 */
export function decodeTextList(field: DescField, texts: string[], at: string, problems: string[]): unknown[] | undefined {
  if (field.fieldKind !== "list" || field.listKind === "message") {
    problems.push(`${at}: cannot be given in the URL`);
    return undefined;
  }
  return texts.map((text, index) =>
    field.listKind === "enum" ? decodeEnum(field.enum, text, `${at}[${index}]`, problems) : decodeTextScalar(field.scalar, text, `${at}[${index}]`, problems),
  );
}

function decodeTextScalar(scalar: ScalarType, text: string, at: string, problems: string[]): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return text;
    case ScalarType.BOOL: {
      const lowered = text.toLowerCase();
      if (lowered === "true" || lowered === "1") return true;
      if (lowered === "false" || lowered === "0") return false;
      problems.push(`${at}: expected true or false, got ${JSON.stringify(text)}`);
      return undefined;
    }
    case ScalarType.BYTES:
      return decodeScalar(scalar, text, at, problems);
    default: {
      const number = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isNaN(number)) {
        problems.push(`${at}: expected a number, got ${JSON.stringify(text)}`);
        return undefined;
      }
      const isInt64 = [ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64, ScalarType.UINT64, ScalarType.FIXED64].includes(scalar);
      return decodeScalar(scalar, isInt64 ? text : number, at, problems);
    }
  }
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)})`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
