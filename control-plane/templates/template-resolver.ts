import type { EntityManager } from "typeorm";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import type { PodFields } from "../pods/pod-model.js";
import { templateRepository } from "../storage/template-repository.js";
import { mergeOverTemplate } from "./template-merge.js";

const maxTemplateDepth = 5;

/** A parsed template reference: "name", "name:tag" or "name:tag@timestamp". */
export interface TemplateRef {
  templateId: string;
  tag: string;
  tagTimestamp?: string;
}

export function parseTemplateRef(ref: string): TemplateRef {
  const [templateId, rest] = splitOnce(ref, ":");
  if (rest === undefined) return { templateId, tag: "latest" };
  const [tag, timestamp] = splitOnce(rest, "@");
  return timestamp === undefined ? { templateId, tag } : { templateId, tag, tagTimestamp: `${tag}@${timestamp}` };
}

/** A template reference resolved to one exact version and its definition. */
export interface ResolvedTemplate {
  /** "name:tag@timestamp" of the version found. */
  version: string;
  definition: PodFields;
}

/**
 * Resolves a template reference to its newest matching version (or the exact
 * one named), following base templates (a tag's own `template`) up to a fixed
 * depth. Unknown templates or tags are the caller's mistake:
 * InvalidArgumentError on `field`.
 */
export async function resolveTemplate(m: EntityManager, tenantId: string, ref: string, field = "template"): Promise<ResolvedTemplate> {
  return resolveAt(m, tenantId, ref, field, 0);
}

/**
 * A pod's effective definition: its own fields merged over the template
 * version it is pinned to. `cache` (keyed by tenant and version) lets a
 * listing resolve each template version once.
 */
export async function derivePodFields(
  m: EntityManager,
  tenantId: string,
  own: PodFields,
  pinnedVersion: string | null,
  cache?: Map<string, PodFields>,
): Promise<PodFields> {
  const ref = pinnedVersion ?? own.template;
  if (!ref) return own;
  const cacheKey = `${tenantId}\u0000${ref}`;
  let definition = cache?.get(cacheKey);
  if (!definition) {
    definition = (await resolveTemplate(m, tenantId, ref)).definition;
    cache?.set(cacheKey, definition);
  }
  return mergeOverTemplate(definition, own);
}

async function resolveAt(m: EntityManager, tenantId: string, ref: string, field: string, depth: number): Promise<ResolvedTemplate> {
  if (depth >= maxTemplateDepth) throw new InvalidArgumentError(field, `templates nest deeper than ${maxTemplateDepth} levels`);
  const parsed = parseTemplateRef(ref);
  const template = await templateRepository.findVisible(m, tenantId, parsed.templateId);
  if (!template) throw new InvalidArgumentError(field, `no template '${parsed.templateId}' is visible to you`);
  const version = await templateRepository.findTag(m, template, parsed.tag, parsed.tagTimestamp);
  if (!version) {
    throw new InvalidArgumentError(field, `template '${parsed.templateId}' has no tag '${parsed.tagTimestamp ?? parsed.tag}'`);
  }
  const pinned = `${template.templateId}:${version.tagTimestamp}`;
  const definition = version.podDefinition;
  if (!definition.template) return { version: pinned, definition };
  const base = await resolveAt(m, tenantId, definition.template, field, depth + 1);
  const { template: _base, ...own } = definition;
  return { version: pinned, definition: mergeOverTemplate(base.definition, own) };
}

function splitOnce(value: string, separator: string): [string, string | undefined] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}
