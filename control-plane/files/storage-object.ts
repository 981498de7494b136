/**
 * What volumes and snapshots share: each is a folder on its cluster's
 * storage, made, filled and removed by an agent, with a status that says
 * how far that work has come.
 *
 * - REQUESTED: recorded; its folder is being made (a snapshot: copied).
 * - AVAILABLE: its folder exists and holds what it should.
 * - ERROR: the folder could not be made; `statusReason` says why.
 * - DELETING: on its way out; the row goes once the folder is gone.
 */
export const storageStatuses = ["REQUESTED", "AVAILABLE", "ERROR", "DELETING"] as const;
export type StorageStatus = (typeof storageStatuses)[number];

/** Statuses with agent work still to do. */
export const pendingStatuses: readonly StorageStatus[] = ["REQUESTED", "DELETING"];

export type StorageObjectKind = "volume" | "snapshot";

/** The columns every stored volume and snapshot has. */
export interface StorageObjectRecord {
  tenantId: string;
  clusterId: string;
  description: string;
  /** MB. */
  sizeLimitMb: number;
  /** Bytes in use, as last counted. */
  sizeBytes: number;
  status: StorageStatus;
  statusReason: string;
  creationTs: number;
  updateTs: number;
  /** The replica doing the object's pending work, until `claimedUntil` (epoch ms). */
  claimedBy: string | null;
  claimedUntil: number;
}

export const mebibyte = 1024 * 1024;

/** MB shown for `bytes` in use: rounded up, so a volume holding anything shows at least 1. */
export function megabytesOf(bytes: number): number {
  return Math.ceil(bytes / mebibyte);
}
