import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";
import { allowedEnumNames } from "../../shared/rest-json/enum-names.js";

export type Schema = Record<string, unknown>;

/** The comment above a declaration, as one paragraph of text, or undefined. */
export function commentOf(desc: DescMessage | DescField | DescEnum | Parameters<typeof getComments>[0]): string | undefined {
  const text = getComments(desc).leading?.trim();
  return text ? text.replace(/\s*\n\s*/g, " ") : undefined;
}

/**
 * JSON Schemas of messages as the REST contract writes them: proto field
 * names, enums as their short names, 64-bit integers as numbers (or strings
 * past 2^53), timestamps as RFC 3339, optional fields and messages nullable.
 * Each message becomes one component, named by its full type name.
 */
export class SchemaRegistry {
  readonly components: Record<string, Schema> = {};

  /** A reference to the message's component, adding it (and those it uses) when new. */
  refOf(desc: DescMessage): Schema {
    const wellKnown = wellKnownSchema(desc.typeName);
    if (wellKnown) return wellKnown;
    if (!this.components[desc.typeName]) {
      this.components[desc.typeName] = {};
      this.components[desc.typeName] = this.objectOf(desc);
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  }

  /** The message as an object schema; `omit` leaves fields out (bound by the path, or set by the gateway). */
  objectOf(desc: DescMessage, omit: ReadonlySet<string> = new Set(), options: { required: boolean } = { required: true }): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const field of desc.fields) {
      if (omit.has(field.name) || field.message?.typeName === "google.protobuf.FieldMask") continue;
      properties[field.name] = this.fieldSchema(field);
      if (options.required && !field.proto.proto3Optional && field.fieldKind !== "message") required.push(field.name);
    }
    return {
      type: "object",
      ...describe(commentOf(desc)),
      properties,
      ...(required.length > 0 ? { required } : {}),
    };
  }

  fieldSchema(field: DescField): Schema {
    const described = (schema: Schema) => ({ ...schema, ...describe(commentOf(field)) });
    switch (field.fieldKind) {
      case "scalar":
        return described(nullable(scalarSchema(field.scalar), field.proto.proto3Optional ?? false));
      case "enum":
        return described(nullable(enumSchema(field.enum), field.proto.proto3Optional ?? false));
      case "message":
        return described({ anyOf: [this.refOf(field.message), { type: "null" }] });
      case "list":
        return described({ type: "array", items: field.listKind === "message" ? this.refOf(field.message) : field.listKind === "enum" ? enumSchema(field.enum) : scalarSchema(field.scalar) });
      case "map":
        return described({
          type: "object",
          additionalProperties: field.mapKind === "message" ? this.refOf(field.message) : field.mapKind === "enum" ? enumSchema(field.enum) : scalarSchema(field.scalar),
        });
    }
  }
}

function describe(text: string | undefined): Schema {
  return text ? { description: text } : {};
}

function nullable(schema: Schema, optional: boolean): Schema {
  if (!optional) return schema;
  const type = schema.type;
  return { ...schema, type: Array.isArray(type) ? [...type, "null"] : [type, "null"], ...(schema.enum ? { enum: [...(schema.enum as unknown[]), null] } : {}) };
}

export function scalarSchema(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: ["integer", "string"], format: "int64" };
    default:
      return { type: "integer", format: "int32" };
  }
}

export function enumSchema(desc: DescEnum): Schema {
  return { type: "string", enum: allowedEnumNames(desc) };
}

function wellKnownSchema(typeName: string): Schema | undefined {
  switch (typeName) {
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    default:
      return undefined;
  }
}
