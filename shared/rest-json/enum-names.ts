import type { DescEnum, DescEnumValue } from "@bufbuild/protobuf";

/**
 * Enum values as the REST contract prints them: without the type prefix the
 * proto style guide requires ("POD_STATUS_AVAILABLE" is "AVAILABLE").
 */
export function shortEnumName(value: DescEnumValue): string {
  const prefix = enumPrefix(value.parent);
  return value.name.startsWith(prefix) ? value.name.slice(prefix.length) : value.name;
}

/** The enum value a REST string names (short or full name), or undefined. */
export function enumValueByName(desc: DescEnum, name: string): DescEnumValue | undefined {
  const prefix = enumPrefix(desc);
  return desc.values.find((v) => v.number !== 0 && (v.name === name || v.name === prefix + name));
}

/** The short names a client may send, for error messages. */
export function allowedEnumNames(desc: DescEnum): string[] {
  return desc.values.filter((v) => v.number !== 0).map(shortEnumName);
}

/** "PodStatus" -> "POD_STATUS_". */
function enumPrefix(desc: DescEnum): string {
  return desc.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase() + "_";
}
