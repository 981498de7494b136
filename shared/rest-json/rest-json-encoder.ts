import { ScalarType, toJson, type DescEnum, type DescField, type DescMessage, type JsonValue, type Message } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { shortEnumName } from "./enum-names.js";

/**
 * Turns a message into the REST contract's JSON: proto field names, every
 * field present in declaration order, unset messages and optional scalars as
 * null, enums by short name, 64-bit integers as numbers while they are exact.
 */
export function encodeMessageJson(desc: DescMessage, message: Message): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const values = message as unknown as Record<string, unknown>;
  for (const field of desc.fields) {
    let value: unknown;
    if (field.oneof) {
      const selected = values[field.oneof.localName] as { case?: string; value?: unknown };
      value = selected.case === field.localName ? selected.value : undefined;
    } else {
      value = values[field.localName];
    }
    out[field.name] = encodeField(field, value);
  }
  return out;
}

export function encodeField(field: DescField, value: unknown): JsonValue {
  if (value === undefined) return null;
  switch (field.fieldKind) {
    case "scalar":
      return encodeScalar(field.scalar, value);
    case "enum":
      return encodeEnum(field.enum, value as number);
    case "message":
      return encodeMessageValue(field.message, value);
    case "list":
      return (value as unknown[]).map((item) =>
        field.listKind === "message"
          ? encodeMessageValue(field.message, item)
          : field.listKind === "enum"
            ? encodeEnum(field.enum, item as number)
            : encodeScalar(field.scalar, item),
      );
    case "map": {
      const out: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        out[key] =
          field.mapKind === "message"
            ? encodeMessageValue(field.message, item)
            : field.mapKind === "enum"
              ? encodeEnum(field.enum, item as number)
              : encodeScalar(field.scalar, item);
      }
      return out;
    }
  }
}

function encodeMessageValue(desc: DescMessage, value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  switch (desc.typeName) {
    case "google.protobuf.Struct":
    case "google.protobuf.Value":
      return value as JsonValue;
    case "google.protobuf.Timestamp":
      return timestampJson(value as Timestamp) ?? toJson(desc, value as Message);
    default:
      if (desc.typeName.startsWith("google.protobuf.")) return toJson(desc, value as Message);
      return encodeMessageJson(desc, value as Message);
  }
}

const minSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
const maxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z

/**
 * A Timestamp as protobuf's JSON writes it (0, 3, 6 or 9 fractional digits),
 * without its generic reflection: lists hold thousands of them. Undefined
 * outside the range JSON allows, where protobuf's own toJson says why.
 */
export function timestampJson(value: Timestamp): string | undefined {
  const seconds = Number(value.seconds);
  if (seconds < minSeconds || seconds > maxSeconds || value.nanos < 0 || value.nanos > 999_999_999) return undefined;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (value.nanos === 0) return `${whole}Z`;
  const nanos = String(value.nanos).padStart(9, "0");
  const digits = nanos.endsWith("000000") ? 3 : nanos.endsWith("000") ? 6 : 9;
  return `${whole}.${nanos.slice(0, digits)}Z`;
}

function encodeEnum(desc: DescEnum, number: number): JsonValue {
  if (number === 0) return null;
  const value = desc.values.find((v) => v.number === number);
  return value ? shortEnumName(value) : number;
}

function encodeScalar(type: ScalarType, value: unknown): JsonValue {
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (type === ScalarType.BYTES) return base64Encode(value as Uint8Array);
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value as JsonValue;
}
