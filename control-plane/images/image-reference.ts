/**
 * Image references as Docker reads them, and allowlist patterns over them.
 * Pure: no I/O.
 */

const domainPart = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)`;
const domain = String.raw`${domainPart}(?:\.${domainPart})*(?::[0-9]+)?`;
const component = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const tag = String.raw`[\w][\w.-]{0,127}`;
const digest = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const referencePattern = new RegExp(`^(?:${domain}/)?${component}(?:/${component})*(?::${tag})?(?:@${digest})?$`);
const prefixPattern = /^[A-Za-z0-9._:/@-]*$/;
const maxLength = 255;

/** An image reference split into its canonical repository ("docker.io/library/nginx"), tag and digest. */
export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

/** An allowlist entry: every image under a prefix, one repository (any tag), or one tag or digest of it. */
export type ImagePattern = { kind: "prefix"; prefix: string } | { kind: "exact"; reference: ImageReference };

/** The rule an invalid pattern breaks; the same words wherever an image is refused. */
export const imagePatternRule = "must be an image reference such as registry/name:tag, or a prefix ending in * (such as docker.io/library/*)";

/** Parses a Docker image reference ("nginx:1.27", "ghcr.io/org/app@sha256:…"); null when it is none. */
export function parseImageReference(text: string): ImageReference | null {
  if (text.length === 0 || text.length > maxLength || !referencePattern.test(text)) return null;
  let rest = text;
  let digestPart: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digestPart = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tagPart: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tagPart = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: canonicalName(rest), ...(tagPart ? { tag: tagPart } : {}), ...(digestPart ? { digest: digestPart } : {}) };
}

/** Parses an allowlist entry: an image reference, or a prefix ending in "*"; null when it is neither. */
export function parseImagePattern(text: string): ImagePattern | null {
  if (text.length === 0 || text.length > maxLength) return null;
  if (text.endsWith("*")) {
    const prefix = text.slice(0, -1);
    if (!prefixPattern.test(prefix) || prefix.includes("//")) return null;
    return { kind: "prefix", prefix: prefix === "" ? "" : canonicalName(prefix) };
  }
  const reference = parseImageReference(text);
  return reference ? { kind: "exact", reference } : null;
}

/** One spelling per pattern: "postgres:16" and "docker.io/library/postgres:16" are the same entry. */
export function patternKey(pattern: ImagePattern): string {
  return pattern.kind === "prefix" ? `${pattern.prefix}*` : referenceText(pattern.reference);
}

/**
 * Whether the pattern allows `image`: a prefix allows every image whose
 * canonical form starts with it; a repository allows each of its tags and
 * digests; a tag or digest allows only itself (an image without either is
 * ":latest").
 */
export function patternAllows(pattern: ImagePattern, image: ImageReference): boolean {
  const tagged = { ...image, tag: image.tag ?? (image.digest ? undefined : "latest") };
  if (pattern.kind === "prefix") return referenceText(tagged).startsWith(pattern.prefix);
  const entry = pattern.reference;
  if (entry.repository !== image.repository) return false;
  if (entry.digest) return entry.digest === image.digest;
  if (entry.tag) return entry.tag === tagged.tag;
  return true;
}

function referenceText(reference: ImageReference): string {
  return `${reference.repository}${reference.tag ? `:${reference.tag}` : ""}${reference.digest ? `@${reference.digest}` : ""}`;
}

/** Docker's defaults: no registry is docker.io, and a name of one part lives under library/. */
function canonicalName(name: string): string {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasRegistry) return `docker.io/${slash < 0 ? `library/${name}` : name}`;
  return first === "index.docker.io" ? `docker.io${name.slice(slash)}` : name;
}
