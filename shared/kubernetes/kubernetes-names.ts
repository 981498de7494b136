import { createHash } from "node:crypto";

/**
 * Names and label values that always fit the API server's rules
 * (k8s.io/apimachinery/pkg/util/validation). A value that already fits is
 * kept as it is, so objects named before these rules keep their names; one
 * that does not is cut and ends with a hash of the exact input, so it stays
 * the same on every call and differs for every other input.
 */

const maxLabelLength = 63;
const hashLength = 10;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * The name of every object of a pod: `pods-<site>-<tenant>-<pod_id>` when
 * that is a DNS-1035 label of at most 63 characters as written. Otherwise
 * lowercased, other characters turned into '-', cut, and ended with a hash
 * of the three ids. DNS-1035 is what a Service name needs, the strictest of
 * the kinds; the ConfigMap's `-config` suffix keeps it within its 253.
 */
export function podObjectName(siteId: string, tenantId: string, podId: string): string {
  const plain = `pods-${siteId}-${tenantId}-${podId}`;
  return isDnsLabel(plain) ? plain : cutWithHash(plain, [siteId, tenantId, podId]);
}

/** `name` itself when it is a DNS-1035 label, else a fitted one derived from it. */
export function fittedDnsLabel(name: string): string {
  return isDnsLabel(name) ? name : cutWithHash(name, [name]);
}

/**
 * A label value standing for `value`: the value itself when it is a valid
 * label value (at most 63 letters, digits, '-', '_', '.', alphanumeric at
 * both ends), else its allowed characters cut to fit and a hash of the value.
 */
export function labelValueOf(value: string): string {
  if (value.length <= maxLabelLength && labelValuePattern.test(value)) return value;
  const head = value
    .replace(/[^A-Za-z0-9_.-]/g, "_")
    .slice(0, maxLabelLength - hashLength - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return head ? `${head}-${hashOf([value])}` : hashOf([value]);
}

function isDnsLabel(name: string): boolean {
  return name.length <= maxLabelLength && dns1035Label.test(name);
}

function cutWithHash(name: string, hashed: string[]): string {
  let head = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, maxLabelLength - hashLength - 1)
    .replace(/-+$/, "");
  // A DNS-1035 label starts with a letter (ours always do: "pods-").
  if (!/^[a-z]/.test(head)) head = `p${head}`.slice(0, maxLabelLength - hashLength - 1).replace(/-+$/, "");
  return `${head}-${hashOf(hashed)}`;
}

function hashOf(parts: string[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, hashLength);
}
