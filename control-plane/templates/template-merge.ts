import { withoutUndefined, type PodFields, type VolumeMountSpec } from "../pods/pod-model.js";

/**
 * Merges a pod's own fields over its template's definition:
 * - environment_variables, secret_map and volume_mounts merge entry by entry
 *   (a null mount removes the template's mount at that path);
 * - resources merge field by field;
 * - every other field the pod sets replaces the template's.
 * template_overrides are merged deeply into the template's values first, so a
 * pod can change one attribute of an inherited mount without restating it;
 * a null there removes the inherited key (a variable, a port, a resource).
 */
export function mergeOverTemplate(template: PodFields, own: PodFields): PodFields {
  const base = own.template_overrides ? applyTemplateOverrides(template, own.template_overrides) : template;
  const merged: PodFields = { ...base };
  for (const [key, value] of Object.entries(own) as [keyof PodFields, unknown][]) {
    if (value === undefined || key === "template_overrides") continue;
    (merged as Record<string, unknown>)[key] = value;
  }
  merged.environment_variables = mergeEntries(base.environment_variables, own.environment_variables);
  merged.secret_map = mergeEntries(base.secret_map, own.secret_map);
  merged.volume_mounts = mergeMounts(base.volume_mounts, own.volume_mounts);
  if (base.resources || own.resources) merged.resources = { ...base.resources, ...own.resources };
  if (own.template_overrides) merged.template_overrides = own.template_overrides;
  return withoutUndefined(merged);
}

/** The template's definition with partial `overrides` merged deeply into it. */
export function applyTemplateOverrides(template: PodFields, overrides: Record<string, unknown>): PodFields {
  const result: Record<string, unknown> = { ...template };
  for (const [key, value] of Object.entries(overrides)) {
    result[key] = deepMerge(result[key], value);
  }
  return result as PodFields;
}

/** `patch` merged into `base` key by key; a null in `patch` removes the key. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = deepMerge(out[key], value);
  }
  return out;
}

function mergeEntries<T>(base?: Record<string, T>, own?: Record<string, T>): Record<string, T> | undefined {
  if (!base && !own) return undefined;
  return { ...base, ...own };
}

function mergeMounts(
  base?: Record<string, VolumeMountSpec | null>,
  own?: Record<string, VolumeMountSpec | null>,
): Record<string, VolumeMountSpec | null> | undefined {
  if (!base && !own) return undefined;
  const merged = { ...base, ...own };
  for (const [path, mount] of Object.entries(merged)) if (mount === null) delete merged[path];
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
