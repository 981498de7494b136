import type { EntityManager } from "typeorm";
import { podHost, podHostLabel } from "../edge/pod-hosts.js";
import { networkingWithDefaults, podDefaults, type NetworkingSpec, type PodRecord } from "../pods/pod-model.js";
import { podRepository } from "../storage/pod-repository.js";
import { derivePodFields } from "../templates/template-resolver.js";

/** A networking entry with the access gate, as read from storage (its host is placed after the read). */
export interface GatedSpec {
  tenantId: string;
  podId: string;
  /** "<pod_id>" or "<pod_id>-<networking key>". */
  podIdNet: string;
  key: string;
  clusterId: string;
  returnPath: string;
}

/** A gated entry with the host it answers on. */
export interface GatedEntry extends GatedSpec {
  host: string;
}

/** A pod id and networking key from "<pod_id>[-<key>]"; pod ids hold no "-". */
export function splitPodIdNet(podIdNet: string): { podId: string; key: string } {
  const dash = podIdNet.indexOf("-");
  return dash < 0 ? { podId: podIdNet, key: "default" } : { podId: podIdNet.slice(0, dash), key: podIdNet.slice(dash + 1) };
}

/** The gated entry `podIdNet` names, or null: no such pod or entry, or no gate on it. */
export async function gatedSpec(m: EntityManager, tenantId: string, podIdNet: string): Promise<GatedSpec | null> {
  const { podId, key } = splitPodIdNet(podIdNet);
  const pod = await podRepository.find(m, tenantId, podId);
  return pod ? gatedSpecOf(m, pod, key) : null;
}

/** The entries of a pod that have the gate, in networking-key order. */
export async function gatedSpecsOf(m: EntityManager, pod: PodRecord): Promise<GatedSpec[]> {
  const fields = await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion);
  const keys = Object.keys(fields.networking ?? podDefaults.networking).sort();
  const specs: GatedSpec[] = [];
  for (const key of keys) {
    const spec = await gatedSpecOf(m, pod, key, fields.networking);
    if (spec) specs.push(spec);
  }
  return specs;
}

/**
 * `spec` with its host. Called outside any read or transaction: the
 * cluster's domain may itself be read from storage, whose single SQLite
 * connection a caller holding it would wait on forever.
 */
export async function placed(spec: GatedSpec, domainOf: (clusterId: string) => Promise<string>): Promise<GatedEntry> {
  return { ...spec, host: podHost(spec.podId, spec.key, spec.tenantId, await domainOf(spec.clusterId)) };
}

/** Whether the host the proxy was asked for is the entry's (a gate answers on its own host only). */
export function answersOn(entry: GatedEntry, askedHost: string | undefined): boolean {
  return !askedHost || askedHost.toLowerCase().replace(/:[0-9]+$/, "") === entry.host;
}

async function gatedSpecOf(m: EntityManager, pod: PodRecord, key: string, networking?: Record<string, NetworkingSpec>): Promise<GatedSpec | null> {
  const given = (networking ?? (await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion)).networking ?? podDefaults.networking)[key];
  if (!given) return null;
  const spec = networkingWithDefaults(given);
  if (!spec.access_gate || spec.protocol !== "http") return null;
  return { tenantId: pod.tenantId, podId: pod.podId, podIdNet: podHostLabel(pod.podId, key), key, clusterId: pod.clusterId, returnPath: spec.access_gate_return_path };
}
