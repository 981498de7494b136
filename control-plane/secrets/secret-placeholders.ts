import type { ProblemList } from "../errors/domain-errors.js";
import type { NetworkingSpec, PodFields } from "../pods/pod-model.js";

/**
 * The placeholders of a pod's secret_map, as upstream resolves them, and the
 * ${pods:secrets:KEY} references that carry its values into environment
 * variables and mount contents. Pure: no I/O.
 *
 * A secret_map value is one of:
 * - `${secret:name}` (a secret of the pod's owner) or `${secret:owner:name}`
 *   (a secret of `owner` shared with the pod's owner);
 * - `${pods:random:N}`: N random letters and digits, generated once per pod;
 * - text, which may hold `${pods:url}`, `${pods:networking:<name>:url|port|protocol}`,
 *   `${pods:default:value}` / `${pods:default:value:?description}` (a default
 *   a pod may override) and `${:?description}` (a value the pod must give).
 */
export type SecretSource =
  | { kind: "secret"; owner: string | null; secretId: string }
  | { kind: "random"; length: number }
  | { kind: "text"; text: string };

const ownSecret = /^\$\{secret:([A-Za-z0-9_-]{1,100})\}$/;
const ownedSecret = /^\$\{secret:([A-Za-z0-9_.@+-]{1,128}):([A-Za-z0-9_-]{1,100})\}$/;
const random = /^\$\{pods:random:(\d+)\}$/;
const token = /\$\{(pods:[^}]*|:\?[^}]*)\}/g;
const defaultToken = /^pods:default:([^:}]*)(?::\?([^}]*))?$/;
const networkingToken = /^pods:networking:([a-z0-9]{1,32}):(url|port|protocol)$/;
const secretsReference = /\$\{pods:secrets:([A-Za-z0-9_.-]+)(?::\?[^}]*)?\}/g;
export const randomLength = { min: 8, max: 128 };

export function parseSecretSource(value: string): SecretSource {
  const own = ownSecret.exec(value);
  if (own) return { kind: "secret", owner: null, secretId: own[1]! };
  const owned = ownedSecret.exec(value);
  if (owned) return { kind: "secret", owner: owned[1]!, secretId: owned[2]! };
  const generated = random.exec(value);
  if (generated) return { kind: "random", length: Number(generated[1]) };
  return { kind: "text", text: value };
}

/** Checks the form of every secret_map value; problems are named `secret_map.<KEY>`. */
export function validateSecretMapValues(secretMap: Record<string, string>, problems: ProblemList, field = "secret_map"): void {
  for (const [key, value] of Object.entries(secretMap)) {
    const at = `${field}.${key}`;
    const source = parseSecretSource(value);
    if (source.kind === "random" && (source.length < randomLength.min || source.length > randomLength.max)) {
      problems.add(at, `\${pods:random:N} needs N between ${randomLength.min} and ${randomLength.max}`);
    }
    if (source.kind !== "text") continue;
    if (value.startsWith("${secret:")) problems.add(at, "must be ${secret:name} or ${secret:owner:name}");
    for (const match of value.matchAll(token)) {
      const inner = match[1]!;
      if (inner.startsWith(":?") || inner === "pods:url" || defaultToken.test(inner) || networkingToken.test(inner)) continue;
      problems.add(at, `holds an unknown placeholder ${match[0]}; known: \${pods:url}, \${pods:networking:<name>:url|port|protocol}, \${pods:default:value:?description}, \${:?description}, \${pods:random:N}, \${secret:name}`);
    }
  }
}

/**
 * The values a pod must still give, as "<description>" per key: `${:?…}` and
 * `${pods:default::?…}` (an empty default) left in its effective secret_map.
 */
export function missingRequiredValues(secretMap: Record<string, string>): { key: string; description: string }[] {
  const missing: { key: string; description: string }[] = [];
  for (const [key, value] of Object.entries(secretMap)) {
    for (const match of value.matchAll(token)) {
      const inner = match[1]!;
      const required = inner.startsWith(":?") ? inner.slice(2) : (defaultToken.exec(inner)?.[1] === "" ? defaultToken.exec(inner)![2] ?? "" : null);
      if (required !== null) missing.push({ key, description: required || "no description" });
    }
  }
  return missing;
}

/** How `${pods:url}` and `${pods:networking:…}` read for one pod. */
export interface PodAddress {
  networking: Record<string, NetworkingSpec>;
  urlOf(networkingKey: string): string;
}

/** Problems with the networking entries a secret_map's text values name (they must exist). */
export function validateAddressTokens(secretMap: Record<string, string>, networking: Record<string, NetworkingSpec>, problems: ProblemList): void {
  for (const [key, value] of Object.entries(secretMap)) {
    for (const match of value.matchAll(token)) {
      const inner = match[1]!;
      const name = inner === "pods:url" ? "default" : networkingToken.exec(inner)?.[1];
      if (name !== undefined && !networking[name]) problems.add(`secret_map.${key}`, `${match[0]} names networking entry '${name}', which the pod does not have`);
    }
  }
}

/** A text value with its placeholders filled in: addresses from the pod, defaults from themselves. */
export function fillText(text: string, address: PodAddress): string {
  return text.replace(token, (whole, inner: string) => {
    if (inner === "pods:url") return address.urlOf("default");
    const net = networkingToken.exec(inner);
    if (net) {
      const spec = address.networking[net[1]!];
      if (!spec) return whole;
      if (net[2] === "url") return address.urlOf(net[1]!);
      return net[2] === "port" ? String(spec.port ?? 5000) : spec.protocol ?? "http";
    }
    const fallback = defaultToken.exec(inner);
    return fallback && fallback[1] !== "" ? fallback[1]! : whole;
  });
}

/** The secret_map keys that `${pods:secrets:KEY}` references in `value` name. */
export function referencedKeys(value: string): string[] {
  return [...value.matchAll(secretsReference)].map((match) => match[1]!);
}

/** `value` with each `${pods:secrets:KEY}` replaced by `values[KEY]` (left as it is when absent). */
export function fillReferences(value: string, values: Readonly<Record<string, string>>): string {
  return value.replace(secretsReference, (whole, key: string) => values[key] ?? whole);
}

/**
 * References in environment variables to keys the effective secret_map lacks,
 * as problems naming the variable. A config file's references are not
 * checked: one to an absent key stays as written, as upstream leaves it.
 */
export function validateReferences(fields: PodFields, problems: ProblemList): void {
  const keys = new Set(Object.keys(fields.secret_map ?? {}));
  for (const [name, value] of Object.entries(fields.environment_variables ?? {})) {
    for (const key of referencedKeys(value)) if (!keys.has(key)) problems.add(`environment_variables.${name}`, `\${pods:secrets:${key}} names no secret_map key`);
  }
}
