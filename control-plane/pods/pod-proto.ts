import { fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { PodSchema, type Pod } from "../../gen/tapis/pods/v1/pod_pb.js";
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

export function podToProto(view: PodView): Pod {
  return fromJson(PodSchema, {
    ...view,
    status: `POD_STATUS_${view.status}`,
    status_requested: `STATUS_REQUESTED_${view.status_requested}`,
    volume_mounts: view.volume_mounts as unknown as JsonObject,
    networking: view.networking as unknown as JsonObject,
    resources: view.resources as JsonObject,
    status_container: view.status_container as JsonObject,
    template_overrides: view.template_overrides as JsonObject | null,
    healthchecks: view.healthchecks as unknown as JsonObject | null,
    time_to_stop_ts: isoOrNull(view.time_to_stop_ts),
    creation_ts: isoOrNull(view.creation_ts),
    update_ts: isoOrNull(view.update_ts),
    start_instance_ts: isoOrNull(view.start_instance_ts),
  });
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

function isoOrNull(millis: number | null): string | null {
  return millis === null ? null : new Date(millis).toISOString();
}
