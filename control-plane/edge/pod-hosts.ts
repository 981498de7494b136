/**
 * The host names pods are reached at: `<pod>.pods.<tenant>.<domain>` for the
 * networking entry "default", `<pod>-<key>.pods.<tenant>.<domain>` for the
 * others. The tenant in the name keeps two tenants' pods of one id apart;
 * the domain is the one registered for the pod's cluster, else the site's.
 */

const maxLabelLength = 63;
const maxNameLength = 253;
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The protocol of an entry that no proxy routes: it has no URL. */
export const clusterOnlyProtocol = "local_only";

/** The first label of an entry's host: the pod id, or `<pod>-<key>` for entries other than "default". */
export function podHostLabel(podId: string, networkingKey: string): string {
  return networkingKey === "default" ? podId : `${podId}-${networkingKey}`;
}

export function podHost(podId: string, networkingKey: string, tenantId: string, domain: string): string {
  return `${podHostLabel(podId, networkingKey)}.pods.${tenantId}.${domain}`.toLowerCase();
}

/** One label of a DNS name: 1-63 letters, digits and '-', not starting or ending with '-'. */
export function isDnsLabel(label: string): boolean {
  return label.length <= maxLabelLength && dnsLabel.test(label.toLowerCase());
}

/** A DNS name of such labels separated by dots, at most 253 characters. */
export function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= maxNameLength && name.split(".").every(isDnsLabel);
}

/** Why `<pod>-<key>` cannot be the first label of a host name, or null when it can. */
export function hostLabelProblem(podId: string, networkingKey: string): string | null {
  const label = podHostLabel(podId, networkingKey);
  if (label.length <= maxLabelLength) return null;
  return `the URL's first label '${label}' must be at most ${maxLabelLength} characters; use a shorter pod id or networking key`;
}

/** Why the entry's host cannot be a DNS name, or null when it can. */
export function hostProblem(podId: string, networkingKey: string, tenantId: string, domain: string): string | null {
  const labelProblem = hostLabelProblem(podId, networkingKey);
  if (labelProblem) return labelProblem;
  if (!isDnsLabel(tenantId)) return `tenant id '${tenantId}' cannot be part of a host name`;
  if (!isDnsName(podHost(podId, networkingKey, tenantId, domain))) return `the host name under domain '${domain}' is not a valid DNS name`;
  return null;
}
