import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { chmod, open, rename, unlink, type FileHandle } from "node:fs/promises";
import type { DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { StorageProblem } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import type { VolumeMount } from "../../gen/tapis/pods/v1/pod_pb.js";
import { readStoragePath } from "../../shared/storage/storage-paths.js";
import { objectFolderMode, partialPrefix, type ClusterStorage } from "./cluster-storage.js";
import { entryOf, entryStats, walkFolders } from "./confined-folder.js";
import { StorageError } from "./storage-error.js";

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/**
 * Readies the cluster's storage for a pod about to start, and says why it
 * must not start (or null). Each volume or snapshot it mounts must have its
 * folder; a sub_path is walked without following links (Kubernetes resolves
 * a subPath that is a link inside the storage claim, which could lead to
 * another tenant's folder), made when missing in a volume; and a volume
 * mount's config_content is written into it: at every start, or with
 * config_update_mode "once" only when the file is missing.
 */
export async function prepareMounts(storage: ClusterStorage, desired: DesiredPod): Promise<string | null> {
  for (const [mountPath, mount] of Object.entries(desired.volumeMounts)) {
    if (mount.type !== "tapisvolume" && mount.type !== "tapissnapshot") continue;
    const refusal = await prepareMount(storage, desired.tenantId, mountPath, mount);
    if (refusal) return `volume_mounts.${mountPath}: ${refusal}`;
  }
  return null;
}

async function prepareMount(storage: ClusterStorage, tenantId: string, mountPath: string, mount: VolumeMount): Promise<string | null> {
  const isVolume = mount.type === "tapisvolume";
  const kind = isVolume ? "volume" : "snapshot";
  const sub = readStoragePath(mount.subPath ?? "", "root", kind);
  if ("rule" in sub) return `sub_path ${sub.rule}`;
  let object: FileHandle;
  try {
    object = await storage.openObject({ kind: isVolume ? "volumes" : "snapshots", tenantId, objectId: mount.sourceId ?? "" });
  } catch (error) {
    if (error instanceof StorageError) return `${kind} '${mount.sourceId}' has no folder on this cluster's storage (${error.message})`;
    throw error;
  }
  try {
    let folder: FileHandle;
    try {
      folder = await walkFolders(object, sub.parts, isVolume ? { createMode: objectFolderMode } : {});
    } catch (error) {
      if (error instanceof StorageError) return `sub_path ${error.message}`;
      throw error;
    }
    try {
      if (isVolume && mount.configContent !== undefined) return await writeConfig(folder, mount, mountPath);
      return null;
    } finally {
      await folder.close();
    }
  } finally {
    await object.close();
  }
}

async function writeConfig(folder: FileHandle, mount: VolumeMount, mountPath: string): Promise<string | null> {
  const name = mount.configFilename || mountPath.replace(/\/+$/, "").split("/").pop() || "config";
  const existing = await entryStats(folder, name);
  if (existing?.isSymbolicLink()) return `config_filename '${name}' is a symbolic link; links are not followed`;
  if (existing && !existing.isFile()) return `config_filename '${name}' is not a file`;
  if (existing && mount.configUpdateMode === "once") return null;
  const mode = parseInt(mount.configPermissions || "0644", 8);
  const partial = `${partialPrefix}${randomUUID()}`;
  const file = await open(entryOf(folder, partial), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    await file.writeFile(mount.configContent ?? "");
    await file.close();
    await chmod(entryOf(folder, partial), mode);
    await rename(entryOf(folder, partial), entryOf(folder, name));
    return null;
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(entryOf(folder, partial)).catch(() => undefined);
    if (error instanceof StorageError && error.problem !== StorageProblem.UNSPECIFIED) return error.message;
    throw error;
  }
}
