import { parse } from "yaml";
import { UsageError } from "../cli-error.js";

/** The flags of `pods create` that fill fields of the new pod. */
export interface PodFlags {
  template?: string;
  image?: string;
  description?: string;
  env?: string[];
  port?: string;
  protocol?: string;
  timeToStop?: string;
  queue?: string;
  stopped?: boolean;
}

type Body = Record<string, unknown>;

/**
 * The body of a create request: the fields of the file (JSON or YAML, the
 * service's field names), then the flags over them, then the id argument.
 * Only what the CLI must understand is checked here; the service checks the
 * rest and its message says what is wrong.
 */
export function podDefinition(podId: string | undefined, flags: PodFlags, file?: { name: string; text: string }): Body {
  const body: Body = file ? parseDefinitionFile(file.name, file.text) : {};
  if (podId !== undefined) body.pod_id = podId;
  if (body.pod_id === undefined) throw new UsageError("pod_id: give it as an argument or in the file");
  if (flags.template !== undefined) body.template = flags.template;
  if (flags.image !== undefined) body.image = flags.image;
  if (flags.description !== undefined) body.description = flags.description;
  if (flags.queue !== undefined) body.compute_queue = flags.queue;
  if (flags.stopped) body.status_requested = "OFF";
  if (flags.timeToStop !== undefined) body.time_to_stop_default = integerFlag("--time-to-stop", flags.timeToStop);
  if (flags.env?.length) body.environment_variables = { ...asObject(body.environment_variables), ...environment(flags.env) };
  if (flags.port !== undefined || flags.protocol !== undefined) {
    const networking = asObject(body.networking);
    const main = { ...asObject(networking.default) };
    if (flags.port !== undefined) main.port = integerFlag("--port", flags.port);
    if (flags.protocol !== undefined) main.protocol = flags.protocol;
    body.networking = { ...networking, default: main };
  }
  return body;
}

function parseDefinitionFile(name: string, text: string): Body {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new UsageError(`${name}: not valid JSON or YAML: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError(`${name}: must hold one object of pod fields (pod_id, image or template, …)`);
  return parsed as Body;
}

function environment(pairs: string[]): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`--env '${pair}': must be NAME=VALUE`);
    variables[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return variables;
}

function integerFlag(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${flag} '${value}': must be a whole number`);
  return Number(value);
}

function asObject(value: unknown): Body {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Body) : {};
}
