import type { KubernetesObject, V1ConfigMap, V1Secret, V1Service } from "@kubernetes/client-node";

/**
 * Whether the object the cluster holds (`held`, from a watch's cache)
 * differs from what the agent would apply (`wanted`), in anything the agent
 * sets: its labels and annotations, and the Secret's data, the ConfigMap's
 * data or the Service's type, selector and ports. What the API server adds
 * (defaults, other managers' fields) does not count; a missing object does.
 */
export function drifted(wanted: KubernetesObject, held: KubernetesObject | undefined): boolean {
  if (!held || held.metadata?.deletionTimestamp) return true;
  if (!includes(held.metadata?.labels, wanted.metadata?.labels) || !includes(held.metadata?.annotations, wanted.metadata?.annotations)) return true;
  switch (wanted.kind) {
    case "Secret":
      return secretDrifted(wanted as V1Secret, held as V1Secret);
    case "ConfigMap":
      return !sameEntries((held as V1ConfigMap).data ?? {}, (wanted as V1ConfigMap).data ?? {});
    case "Service":
      return serviceDrifted(wanted as V1Service, held as V1Service);
    default:
      return true;
  }
}

function secretDrifted(wanted: V1Secret, held: V1Secret): boolean {
  if ((held.type ?? "Opaque") !== (wanted.type ?? "Opaque")) return true;
  const wantedData: Record<string, string> = { ...wanted.data };
  for (const [key, value] of Object.entries(wanted.stringData ?? {})) wantedData[key] = Buffer.from(value, "utf8").toString("base64");
  return !sameEntries(held.data ?? {}, wantedData);
}

function serviceDrifted(wanted: V1Service, held: V1Service): boolean {
  const want = wanted.spec ?? {};
  const have = held.spec ?? {};
  if ((have.type ?? "ClusterIP") !== (want.type ?? "ClusterIP")) return true;
  if (!sameEntries(have.selector ?? {}, want.selector ?? {})) return true;
  const ports = (list: typeof want.ports) => (list ?? []).map((p) => `${p.name ?? ""}/${p.port}/${String(p.targetPort ?? p.port)}/${p.protocol ?? "TCP"}`).join(",");
  return ports(have.ports) !== ports(want.ports);
}

/** Every entry of `part` is in `whole` with the same value. */
function includes(whole: Record<string, string> | undefined, part: Record<string, string> | undefined): boolean {
  return Object.entries(part ?? {}).every(([key, value]) => whole?.[key] === value);
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
