import { create, toJson, type DescMessage, type JsonObject, type JsonValue, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  HealthcheckProbeSchema,
  NetworkingSchema,
  PodHealthchecksSchema,
  PodSchema,
  PodStatus,
  ResourcesSchema,
  StatusRequested,
  VolumeMountSchema,
  type Pod,
  type PodHealthchecks,
} from "../../gen/tapis/pods/v1/pod_pb.js";
import type { HealthchecksView, ProbeKind } from "./healthchecks.js";
import {
  AttachPodVolumesRequestSchema,
  CreatePodRequestSchema,
  UpdatePodRequestSchema,
  type AttachPodVolumesRequest,
  type CreatePodRequest,
  type UpdatePodRequest,
} from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { decodeMessageJson } from "../../shared/rest-json/rest-json-decoder.js";
import { InvalidArgumentError, InvalidArgumentsError } from "../errors/domain-errors.js";
import type { PodFields, StatusRequestedName, VolumeMountSpec } from "./pod-model.js";
import { overridableFields } from "./pod-rules.js";
import type { PodPatch } from "./pod-service.js";
import type { PodView } from "./pod-view.js";

/**
 * Translation between the generated pod messages and the domain. Both sides
 * speak the contract's snake_case JSON, so the protobuf runtime's JSON mapping
 * does the field-by-field work.
 */

const definitionKeys: readonly (keyof PodFields)[] = [
  "image",
  "template",
  "description",
  "command",
  "arguments",
  "environment_variables",
  "secret_map",
  "volume_mounts",
  "time_to_stop_default",
  "time_to_stop_instance",
  "networking",
  "resources",
  "compute_queue",
  "template_overrides",
  "healthchecks",
];

/**
 * Built field by field rather than read from the view as JSON: every GET and
 * listing builds one, and the JSON reading (ISO times formatted and parsed
 * back, every nested value checked against its field) cost more than the
 * database read behind it. The view holds values the contract checked when
 * they were stored; test/unit/pod-proto.test.ts holds the two ways equal.
 */
export function podToProto(view: PodView): Pod {
  return create(PodSchema, {
    podId: view.pod_id,
    image: view.image,
    template: view.template,
    description: view.description,
    command: view.command,
    arguments: view.arguments,
    environmentVariables: view.environment_variables,
    secretMap: view.secret_map,
    statusRequested: StatusRequested[view.status_requested],
    volumeMounts: mapValues(view.volume_mounts, (mount) => flatMessage(VolumeMountSchema, mount)),
    timeToStopDefault: view.time_to_stop_default,
    timeToStopInstance: view.time_to_stop_instance ?? undefined,
    networking: mapValues(view.networking, (spec) => flatMessage(NetworkingSchema, spec)),
    resources: flatMessage(ResourcesSchema, view.resources),
    computeQueue: view.compute_queue,
    templateOverrides: (view.template_overrides as JsonObject | null) ?? undefined,
    timeToStopTs: timestampOrUndefined(view.time_to_stop_ts),
    status: PodStatus[view.status],
    statusContainer: view.status_container as JsonObject,
    creationTs: timestampFromMs(view.creation_ts),
    updateTs: timestampFromMs(view.update_ts),
    startInstanceTs: timestampOrUndefined(view.start_instance_ts),
    url: view.url,
    healthchecks: view.healthchecks ? healthchecksMessage(view.healthchecks) : undefined,
    networkingLive: view.networking_live,
  });
}

function healthchecksMessage(view: HealthchecksView): PodHealthchecks {
  const probe = (kind: ProbeKind) => (view[kind] ? flatMessage(HealthcheckProbeSchema, view[kind]) : undefined);
  return create(PodHealthchecksSchema, { liveness: probe("liveness"), readiness: probe("readiness"), startup: probe("startup"), networkingRequiresReady: view.networking_requires_ready });
}

/** A message of scalars, lists and maps from its snake_case JSON object; null and absent leave a field unset. */
function flatMessage<Desc extends DescMessage>(schema: Desc, json: object): MessageShape<Desc> {
  const init: Record<string, unknown> = {};
  const values = json as Record<string, unknown>;
  for (const field of schema.fields) {
    const value = values[field.name];
    if (value !== null && value !== undefined) init[field.localName] = value;
  }
  return create(schema, init as MessageInitShape<Desc>);
}

function mapValues<T, U>(record: Record<string, T>, convert: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record)) out[key] = convert(record[key]!);
  return out;
}

function timestampOrUndefined(millis: number | null): Timestamp | undefined {
  return millis === null ? undefined : timestampFromMs(millis);
}

/**
 * The fields a create request sets (absent and empty ones are left unset).
 * template_overrides arrives as free JSON; it must have the shape of the
 * pod fields it overrides, which is checked here against the contract.
 */
export function fieldsFromCreate(req: CreatePodRequest): { fields: PodFields; statusRequested?: StatusRequestedName } {
  const json = protoFieldJson(toJson(CreatePodRequestSchema, req, { useProtoFieldName: true }));
  if (req.templateOverrides) checkOverridesShape(req.templateOverrides);
  return { fields: pickDefinition(json), statusRequested: statusRequestedOf(json) };
}

function checkOverridesShape(overrides: JsonObject): void {
  const problems: string[] = [];
  const notOverridable = new Set(CreatePodRequestSchema.fields.map((f) => f.name).filter((name) => !overridableFields.has(name)));
  // A null removes an inherited key; only the values given must fit the fields they override.
  decodeMessageJson(CreatePodRequestSchema, withoutNulls(overrides), "template_overrides", problems, notOverridable);
  if (problems.length > 0) throw new InvalidArgumentsError(problems.map((p) => new InvalidArgumentError(p.slice(0, p.indexOf(": ")), p.slice(p.indexOf(": ") + 2))));
}

/**
 * The patch an update request describes. Fields named in update_mask but
 * unset are cleared back to their default; without a mask, the fields that
 * are set form it.
 */
export function patchFromUpdate(req: UpdatePodRequest): PodPatch {
  const json = protoFieldJson(toJson(UpdatePodRequestSchema, req, { useProtoFieldName: true }));
  delete json.pod_id;
  delete json.update_mask;
  const mask = req.updateMask?.paths.length ? req.updateMask.paths.map((p) => p.split(".")[0]!) : Object.keys(json);
  const set: Record<string, unknown> = {};
  const clear: (keyof PodFields)[] = [];
  let statusRequested: StatusRequestedName | undefined;
  for (const path of new Set(mask)) {
    if (path === "status_requested") {
      statusRequested = statusRequestedOf(json);
    } else if (path in json) {
      set[path] = json[path];
    } else {
      clear.push(path as keyof PodFields);
    }
  }
  return { set: pickDefinition(set), clear, statusRequested };
}

/** The definition fields of a message's JSON (proto field names); an empty mount becomes null ("remove"). */
export function fieldsFromDefinitionJson(json: Record<string, unknown>): PodFields {
  return pickDefinition(json);
}

/** The mounts an attach request adds, in the domain's terms (an empty mount removes one). */
export function mountsFromAttach(req: AttachPodVolumesRequest): Record<string, VolumeMountSpec | null> {
  const json = protoFieldJson(toJson(AttachPodVolumesRequestSchema, req, { useProtoFieldName: true }));
  return pickDefinition({ volume_mounts: json.volume_mounts ?? {} }).volume_mounts ?? {};
}

function pickDefinition(json: Record<string, unknown>): PodFields {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(json)) {
    if ((definitionKeys as string[]).includes(key)) fields[key] = json[key];
  }
  const mounts = fields.volume_mounts as Record<string, Record<string, unknown>> | undefined;
  if (mounts) {
    // An empty mount is how the wire says "remove the template's mount here".
    for (const [path, mount] of Object.entries(mounts)) if (Object.keys(mount).length === 0) (mounts as Record<string, unknown>)[path] = null;
  }
  return fields as PodFields;
}

function statusRequestedOf(json: Record<string, unknown>): StatusRequestedName | undefined {
  const value = json.status_requested;
  return typeof value === "string" ? (value.replace("STATUS_REQUESTED_", "") as StatusRequestedName) : undefined;
}

function withoutNulls(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    out[key] = typeof item === "object" && !Array.isArray(item) ? withoutNulls(item) : item;
  }
  return out;
}

function protoFieldJson(value: JsonValue): Record<string, unknown> {
  return value as Record<string, unknown>;
}
