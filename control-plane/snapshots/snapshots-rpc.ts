import type { ServiceImpl } from "@connectrpc/connect";
import { SnapshotsService } from "../../gen/tapis/pods/v1/snapshots_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import { levelNameOf } from "../authz/level-proto.js";
import type { PermissionService } from "../authz/permission-service.js";
import { contentMessages } from "../files/content-messages.js";
import type { ObjectFiles } from "../files/object-files.js";
import { filesToProto, requestIdOf } from "../files/file-proto.js";
import type { Caller } from "../auth/caller.js";
import type { MountedBy } from "../files/mounted-by.js";
import type { SnapshotRecord } from "./snapshot-model.js";
import { snapshotToProto } from "./snapshot-proto.js";
import type { SnapshotPatch, SnapshotService } from "./snapshot-service.js";

/** SnapshotsService over gRPC/Connect: translates messages and delegates to the snapshot, file and permission services. */
export function snapshotsRpc(snapshots: SnapshotService, files: ObjectFiles, permissions: PermissionService, mountedBy: MountedBy): ServiceImpl<typeof SnapshotsService> {
  /** Snapshots with the pods that mount them, as the caller may see them. */
  const shown = async (caller: Caller, records: SnapshotRecord[]) => {
    const uses = await mountedBy.of(caller, "snapshot", records.map((record) => record.snapshotId));
    return records.map((record) => snapshotToProto(record, uses.get(record.snapshotId)));
  };
  return {
    async listSnapshots(_req, ctx) {
      const caller = callerOf(ctx);
      return { message: "Snapshots retrieved successfully.", result: await shown(caller, await snapshots.list(caller)) };
    },
    async createSnapshot(req, ctx) {
      const snapshot = await snapshots.create(callerOf(ctx), {
        snapshotId: req.snapshotId,
        sourceVolumeId: req.sourceVolumeId,
        sourceVolumePath: req.sourceVolumePath,
        destinationPath: req.destinationPath,
        description: req.description,
        sizeLimitMb: req.sizeLimit,
        cron: req.cron,
        retentionPolicy: req.retentionPolicy,
      });
      return { message: "Snapshot created successfully.", result: snapshotToProto(snapshot) };
    },
    async getSnapshot(req, ctx) {
      const caller = callerOf(ctx);
      return { message: "Snapshot retrieved successfully.", result: (await shown(caller, [await snapshots.get(caller, req.snapshotId)]))[0] };
    },
    async updateSnapshot(req, ctx) {
      const mask = new Set(req.updateMask?.paths ?? []);
      const sent = (field: string, isSet: boolean) => (mask.size > 0 ? mask.has(field) : isSet);
      const patch: SnapshotPatch = {};
      if (sent("description", req.description !== "")) patch.description = req.description;
      if (sent("size_limit", req.sizeLimit !== 0)) patch.sizeLimitMb = req.sizeLimit;
      if (sent("cron", req.cron !== "")) patch.cron = req.cron;
      if (sent("retention_policy", req.retentionPolicy !== "")) patch.retentionPolicy = req.retentionPolicy;
      return { message: "Snapshot updated successfully.", result: (await shown(callerOf(ctx), [await snapshots.update(callerOf(ctx), req.snapshotId, patch)]))[0] };
    },
    async deleteSnapshot(req, ctx) {
      const gone = await snapshots.delete(callerOf(ctx), req.snapshotId);
      return {
        message: gone ? "Snapshot deleted successfully." : "Snapshot deletion started; its folder is removed as soon as an agent of its cluster can, then the snapshot is gone.",
        result: "",
      };
    },
    async listSnapshotFiles(req, ctx) {
      const { object, record } = await snapshots.placeOf(callerOf(ctx), req.snapshotId);
      const listing = await files.list(object, record, requestIdOf(ctx));
      const message = listing.truncated ? `Snapshot files retrieved; only the first ${listing.files.length} entries are shown.` : "Snapshot files retrieved successfully.";
      return { message, result: filesToProto(listing.files) };
    },
    async *getSnapshotContents(req, ctx) {
      const { object, record } = await snapshots.placeOf(callerOf(ctx), req.snapshotId);
      yield* contentMessages(await files.download(object, record, req.path, req.zip, req, requestIdOf(ctx)));
    },
    async getSnapshotPermissions(req, ctx) {
      const list = await permissions.list(callerOf(ctx), "snapshot", req.snapshotId);
      return { message: "Snapshot permissions retrieved successfully.", result: { permissions: list } };
    },
    async setSnapshotPermission(req, ctx) {
      const list = await permissions.set(callerOf(ctx), "snapshot", req.snapshotId, req.user, levelNameOf(req.level));
      return { message: "Snapshot permission set successfully.", result: { permissions: list } };
    },
    async deleteSnapshotPermission(req, ctx) {
      const list = await permissions.remove(callerOf(ctx), "snapshot", req.snapshotId, req.user);
      return { message: "Snapshot permission removed successfully.", result: { permissions: list } };
    },
  };
}
