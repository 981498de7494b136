import type { EntityManager } from "typeorm";
import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from "../errors/domain-errors.js";
import type { PodFields } from "../pods/pod-model.js";
import type { TemplateRow } from "../storage/entities/template-entity.js";
import { templateRepository } from "../storage/template-repository.js";
import { findTemplateFor, type TemplateReader } from "./template-access.js";
import { mergeOverTemplate } from "./template-merge.js";

/** Most templates one definition may build on, itself included. */
export const maxTemplateDepth = 10;

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
  /** "<tenant>/<template>:<tag>@<timestamp>": the exact version, as a pod is pinned to it. */
  version: string;
  /** "<template>:<tag>@<timestamp>", for people. */
  label: string;
  template: TemplateRow;
  definition: PodFields;
}

export interface ResolveOptions {
  /** The request field the reference came from, named in errors. */
  field?: string;
  /** For a new pod: the caller must READ the template, and no template of the chain may be archived. */
  forNewPod?: boolean;
  /** Templates (as "<tenant>/<id>") already on the way to this reference, outermost first: for cycles and depth. */
  chain?: { key: string; templateId: string }[];
}

/**
 * Resolves a template reference as `reader` sees templates (see
 * findTemplateFor) to its newest matching version, or the exact one named,
 * following base templates (a tag's own `template`, resolved as the
 * template's own tenant sees them). Mistakes in the reference are the
 * caller's: InvalidArgumentError on the field, naming the chain for cycles
 * and for nesting deeper than maxTemplateDepth.
 */
export async function resolveTemplate(m: EntityManager, reader: TemplateReader, ref: string, options: ResolveOptions = {}): Promise<ResolvedTemplate> {
  return resolveAt(m, reader, ref, options.field ?? "template", options.forNewPod ?? false, [...(options.chain ?? [])]);
}

/**
 * A pod's effective definition: its own fields merged over the template
 * version it is pinned to. `cache` (keyed by version) lets a listing resolve
 * each template version once.
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
    definition = (await resolvePinned(m, tenantId, ref)).definition;
    cache?.set(cacheKey, definition);
  }
  return mergeOverTemplate(definition, own);
}

/** The version a pod is pinned to: "<tenant>/<template>:<tag>@<timestamp>", or the older "<template>:<tag>@<timestamp>". */
async function resolvePinned(m: EntityManager, tenantId: string, pinned: string): Promise<ResolvedTemplate> {
  const slash = pinned.indexOf("/");
  if (slash < 0) return resolveTemplate(m, anyUserOf(tenantId), pinned);
  const owner = pinned.slice(0, slash);
  const ref = parseTemplateRef(pinned.slice(slash + 1));
  const found = ref.tagTimestamp ? await templateRepository.findWithVersion(m, owner, ref.templateId, ref.tagTimestamp) : null;
  const template = found?.template;
  const version = found?.version;
  if (!template || !version) {
    throw new FailedPreconditionError(`the template version ${pinned.slice(slash + 1)} this pod is pinned to no longer exists`);
  }
  return withBase(m, template, version.podDefinition, `${ref.templateId}:${version.tagTimestamp}`, "template", false, [{ key: keyOf(template), templateId: template.templateId }]);
}

async function resolveAt(
  m: EntityManager,
  reader: TemplateReader,
  ref: string,
  field: string,
  forNewPod: boolean,
  chain: { key: string; templateId: string }[],
): Promise<ResolvedTemplate> {
  const parsed = parseTemplateRef(ref);
  const found = await findTemplateFor(m, reader, parsed.templateId);
  if (!found) throw new InvalidArgumentError(field, `no template '${parsed.templateId}' is visible to you`);
  const { template } = found;
  if (forNewPod && chain.length === 0 && found.level === null) {
    throw new PermissionDeniedError(`READ permission on template '${template.templateId}' is required; you have no permission`);
  }
  const names = [...chain.map((c) => c.templateId), template.templateId].join(" → ");
  if (chain.some((c) => c.key === keyOf(template))) throw new InvalidArgumentError(field, `templates form a cycle: ${names}`);
  chain.push({ key: keyOf(template), templateId: template.templateId });
  if (chain.length > maxTemplateDepth) throw new InvalidArgumentError(field, `templates nest deeper than ${maxTemplateDepth} levels: ${names}`);
  if (forNewPod && template.archiveMessage) throw new InvalidArgumentError(field, `template '${template.templateId}' is archived: ${template.archiveMessage}`);
  const version = await templateRepository.findTag(m, template, parsed.tag, parsed.tagTimestamp);
  if (!version) throw new InvalidArgumentError(field, `template '${parsed.templateId}' has no tag '${parsed.tagTimestamp ?? parsed.tag}'`);
  return withBase(m, template, version.podDefinition, `${template.templateId}:${version.tagTimestamp}`, field, forNewPod, chain);
}

/** The version's definition merged over its base template's, if it names one. */
async function withBase(
  m: EntityManager,
  template: TemplateRow,
  definition: PodFields,
  label: string,
  field: string,
  forNewPod: boolean,
  chain: { key: string; templateId: string }[],
): Promise<ResolvedTemplate> {
  const resolved = { version: `${template.tenantId}/${label}`, label, template };
  if (!definition.template) return { ...resolved, definition };
  const base = await resolveAt(m, anyUserOf(template.tenantId), definition.template, field, forNewPod, chain);
  const { template: _base, ...own } = definition;
  return { ...resolved, definition: mergeOverTemplate(base.definition, own) };
}

/** A tenant as a whole: how a template's base, or a pod's pinned template, is looked up. */
function anyUserOf(tenantId: string): TemplateReader {
  return { tenantId, username: "", serviceAdmin: false };
}

function keyOf(template: TemplateRow): string {
  return `${template.tenantId}/${template.templateId}`;
}

function splitOnce(value: string, separator: string): [string, string | undefined] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}
