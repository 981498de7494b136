import type { ServiceImpl } from "@connectrpc/connect";
import { VolumesService } from "../../gen/tapis/pods/v1/volumes_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import { levelNameOf } from "../authz/level-proto.js";
import type { PermissionService } from "../authz/permission-service.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import type { FilePiece, ObjectFiles } from "../files/object-files.js";
import { contentMessages } from "../files/content-messages.js";
import { filesToProto, requestIdOf } from "../files/file-proto.js";
import type { Caller } from "../auth/caller.js";
import type { MountedBy } from "../files/mounted-by.js";
import type { VolumeRecord } from "./volume-model.js";
import { volumeToProto } from "./volume-proto.js";
import type { VolumePatch, VolumeService } from "./volume-service.js";

/** VolumesService over gRPC/Connect: translates messages and delegates to the volume, file and permission services. */
export function volumesRpc(volumes: VolumeService, files: ObjectFiles, permissions: PermissionService, mountedBy: MountedBy): ServiceImpl<typeof VolumesService> {
  /** Volumes with the pods that mount them, as the caller may see them. */
  const shown = async (caller: Caller, records: VolumeRecord[]) => {
    const uses = await mountedBy.of(caller, "volume", records.map((record) => record.volumeId));
    return records.map((record) => volumeToProto(record, uses.get(record.volumeId)));
  };
  return {
    async listVolumes(_req, ctx) {
      const caller = callerOf(ctx);
      return { message: "Volumes retrieved successfully.", result: await shown(caller, await volumes.list(caller)) };
    },
    async createVolume(req, ctx) {
      const volume = await volumes.create(callerOf(ctx), { volumeId: req.volumeId, description: req.description, sizeLimitMb: req.sizeLimit });
      return { message: "Volume created successfully.", result: volumeToProto(volume) };
    },
    async getVolume(req, ctx) {
      const caller = callerOf(ctx);
      return { message: "Volume retrieved successfully.", result: (await shown(caller, [await volumes.get(caller, req.volumeId)]))[0] };
    },
    async updateVolume(req, ctx) {
      const mask = new Set(req.updateMask?.paths ?? []);
      const sent = (field: string, isSet: boolean) => (mask.size > 0 ? mask.has(field) : isSet);
      const patch: VolumePatch = {};
      if (sent("description", req.description !== "")) patch.description = req.description;
      if (sent("size_limit", req.sizeLimit !== 0)) patch.sizeLimitMb = req.sizeLimit;
      return { message: "Volume updated successfully.", result: (await shown(callerOf(ctx), [await volumes.update(callerOf(ctx), req.volumeId, patch)]))[0] };
    },
    async deleteVolume(req, ctx) {
      const gone = await volumes.delete(callerOf(ctx), req.volumeId);
      return {
        message: gone ? "Volume deleted successfully." : "Volume deletion started; its folder is removed as soon as an agent of its cluster can, then the volume is gone.",
        result: "",
      };
    },
    async listVolumeFiles(req, ctx) {
      const caller = callerOf(ctx);
      const { object, record } = await volumes.placeOf(caller, req.volumeId);
      const listing = await files.list(object, record, requestIdOf(ctx));
      const message = listing.truncated ? `Volume files retrieved; only the first ${listing.files.length} entries are shown.` : "Volume files retrieved successfully.";
      return { message, result: filesToProto(listing.files) };
    },
    async *getVolumeContents(req, ctx) {
      const { object, record } = await volumes.placeOf(callerOf(ctx), req.volumeId);
      yield* contentMessages(await files.download(object, record, req.path, req.zip, req, requestIdOf(ctx)));
    },
    async uploadToVolume(requests, ctx) {
      const caller = callerOf(ctx);
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new InvalidArgumentError("volume_id", "an upload must name its volume in its first message");
      const { object, record } = await volumes.placeOf(caller, first.value.volumeId);
      const pieces = iterator as AsyncIterator<FilePiece>;
      const written = await files.upload(object, record, first.value, pieces, requestIdOf(ctx));
      await volumes.noteSize(caller, object.id, written.objectBytes);
      return { message: `File uploaded to volume '${object.id}'.`, result: `Wrote ${written.bytes} bytes to ${written.path}.` };
    },
    async getVolumePermissions(req, ctx) {
      const list = await permissions.list(callerOf(ctx), "volume", req.volumeId);
      return { message: "Volume permissions retrieved successfully.", result: { permissions: list } };
    },
    async setVolumePermission(req, ctx) {
      const list = await permissions.set(callerOf(ctx), "volume", req.volumeId, req.user, levelNameOf(req.level));
      return { message: "Volume permission set successfully.", result: { permissions: list } };
    },
    async deleteVolumePermission(req, ctx) {
      const list = await permissions.remove(callerOf(ctx), "volume", req.volumeId, req.user);
      return { message: "Volume permission removed successfully.", result: { permissions: list } };
    },
  };
}
