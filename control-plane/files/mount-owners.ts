import type { PodFields, PodRecord, VolumeMountSpec } from "../pods/pod-model.js";
import type { StorageObjectKind } from "./storage-object.js";

type Mounts = PodFields["volume_mounts"];

/** The kind of object a mount of this type names, for volumes and snapshots; undefined for other mounts. */
export const storageKindOf: Record<string, StorageObjectKind | undefined> = { tapisvolume: "volume", tapissnapshot: "snapshot" };

/** Whether a mount is read-only: as set, else snapshots are and volumes are not. */
export function mountsReadOnly(mount: VolumeMountSpec): boolean {
  return mount.read_only ?? mount.type === "tapissnapshot";
}

/** The volume and snapshot mounts of a definition, by path. */
export function storageMountsOf(mounts: Mounts): [string, VolumeMountSpec][] {
  return Object.entries(mounts ?? {}).filter((entry): entry is [string, VolumeMountSpec] => Boolean(entry[1] && storageKindOf[entry[1].type] && entry[1].source_id));
}

/**
 * The volume and snapshot mounts of `after` that are new or use their
 * object differently than `before` has them (another object, path inside
 * it, or read-write where it was read-only): the ones whose user changes.
 */
export function changedStorageMounts(before: Mounts, after: Mounts): Record<string, VolumeMountSpec> {
  const changed: Record<string, VolumeMountSpec> = {};
  for (const [path, mount] of storageMountsOf(after)) {
    const was = before?.[path];
    if (!was || !sameUse(was, mount)) changed[path] = mount;
  }
  return changed;
}

/**
 * Who mounted each volume and snapshot mount of `after`: `caller` for
 * those that changed (see changedStorageMounts), the earlier mounter (or
 * the pod's owner) for the others.
 */
export function nextMountUsers(before: Mounts, after: Mounts, pod: Pick<PodRecord, "mountUsers" | "owner"> | null, caller: string): Record<string, string> {
  const changed = changedStorageMounts(before, after);
  const users: Record<string, string> = {};
  for (const [path] of storageMountsOf(after)) {
    const kept = path in changed ? undefined : (pod?.mountUsers?.[path] ?? pod?.owner ?? undefined);
    users[path] = kept ?? caller;
  }
  return users;
}

/** The user a mount of `pod` at `path` counts as mounted by: its recorded mounter, else the owner; null for neither. */
export function mounterOf(pod: Pick<PodRecord, "mountUsers" | "owner">, path: string): string | null {
  return pod.mountUsers?.[path] ?? pod.owner ?? null;
}

function sameUse(a: VolumeMountSpec, b: VolumeMountSpec): boolean {
  return a.type === b.type && a.source_id === b.source_id && trimmed(a.sub_path) === trimmed(b.sub_path) && mountsReadOnly(a) === mountsReadOnly(b);
}

function trimmed(path: string | undefined): string {
  return (path ?? "").replace(/^\/+|\/+$/g, "");
}
