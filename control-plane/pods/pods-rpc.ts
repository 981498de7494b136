import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ListValueSchema } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { metadataNames } from "../../shared/rpc/metadata.js";
import { PodsService } from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { levelCheckedFor } from "../authz/checked-object.js";
import type { PermissionService } from "../authz/permission-service.js";
import { levelNameOf } from "../authz/level-proto.js";
import { levelAtLeast } from "../authz/levels.js";
import type { Caller } from "../auth/caller.js";
import { fieldsFromCreate, mountsFromAttach, patchFromUpdate, podToProto } from "./pod-proto.js";
import type { PodExecService } from "./pod-exec-service.js";
import type { PodUploadService } from "./pod-upload-service.js";
import type { PodService } from "./pod-service.js";
import type { PodTemplateSaver } from "../templates/pod-template-saver.js";
import { tagToProto } from "../templates/templates-rpc.js";

/**
 * PodsService over gRPC/Connect: translates messages and delegates to the
 * pod, exec, upload, permission, template and volume services.
 */
export function podsRpc(
  pods: PodService,
  execs: PodExecService,
  uploads: PodUploadService,
  permissions: PermissionService,
  objects: ObjectAccess,
  saver: PodTemplateSaver,
): Partial<ServiceImpl<typeof PodsService>> {
  /** Who may read a pod's credentials (USER) may also see them, and its generated values, filled in. */
  const maySeeCredentials = async (ctx: HandlerContext, caller: Caller, podId: string) =>
    levelAtLeast(levelCheckedFor(ctx, "pod", podId) ?? (await objects.levelOf(caller, "pod", podId)), "USER");
  return {
    async listPods(_req, ctx) {
      const views = await pods.list(callerOf(ctx));
      return { message: "Pods retrieved successfully.", result: views.map(podToProto) };
    },
    async createPod(req, ctx) {
      const { fields, statusRequested } = fieldsFromCreate(req);
      const view = await pods.create(callerOf(ctx), req.podId, fields, statusRequested);
      return { message: "Pod created successfully.", result: podToProto(view) };
    },
    async getPod(req, ctx) {
      const caller = callerOf(ctx);
      const view = await pods.get(caller, req.podId, req.includeConfigs, await maySeeCredentials(ctx, caller, req.podId));
      return { message: "Pod retrieved successfully.", result: podToProto(view) };
    },
    async updatePod(req, ctx) {
      const caller = callerOf(ctx);
      const patch = patchFromUpdate(req);
      // Starting and stopping need ADMIN, whichever endpoint asks for it.
      if (patch.statusRequested) await objects.require(caller, "pod", req.podId, "ADMIN");
      const view = await pods.update(caller, req.podId, patch);
      return { message: "Pod updated successfully.", result: podToProto(view) };
    },
    async deletePod(req, ctx) {
      await pods.delete(callerOf(ctx), req.podId);
      return { message: "Pod deleted successfully.", result: "" };
    },
    async getDerivedPod(req, ctx) {
      const caller = callerOf(ctx);
      if (req.resolveSecrets) await objects.require(caller, "pod", req.podId, "ADMIN");
      const view = await pods.derived(caller, req.podId, req.includeConfigs, { revealCredentials: await maySeeCredentials(ctx, caller, req.podId), resolveSecrets: req.resolveSecrets });
      return { message: "Derived pod retrieved successfully.", result: podToProto(view) };
    },
    async getPodCredentials(req, ctx) {
      return { message: "Pod credentials retrieved successfully.", result: await pods.credentials(callerOf(ctx), req.podId) };
    },
    async getPodLogs(req, ctx) {
      return { message: "Pod logs retrieved successfully.", result: await pods.logs(callerOf(ctx), req.podId) };
    },
    async getPodPermissions(req, ctx) {
      const list = await permissions.list(callerOf(ctx), "pod", req.podId);
      return { message: "Pod permissions retrieved successfully.", result: { permissions: list } };
    },
    async setPodPermission(req, ctx) {
      const list = await permissions.set(callerOf(ctx), "pod", req.podId, req.user, levelNameOf(req.level));
      return { message: "Pod permission set successfully.", result: { permissions: list } };
    },
    async deletePodPermission(req, ctx) {
      const list = await permissions.remove(callerOf(ctx), "pod", req.podId, req.user);
      return { message: "Pod permission removed successfully.", result: { permissions: list } };
    },
    async execPodCommands(req, ctx) {
      const result = await execs.exec(callerOf(ctx), req.podId, req.commands ? (toJson(ListValueSchema, req.commands) as JsonValue[]) : undefined, {
        commandTimeoutSeconds: req.commandTimeout,
        totalTimeoutSeconds: req.totalTimeout,
        failOnNonSuccess: req.failOnNonSuccess,
        clientRequestId: requestIdOf(ctx),
      });
      return { message: "Pod commands executed.", result };
    },
    async uploadToPod(requests, ctx) {
      const { destPath, bytes } = await uploads.upload(callerOf(ctx), requests, requestIdOf(ctx));
      const wrote = `Wrote ${bytes} bytes to ${destPath}.`;
      return { message: wrote, result: wrote, upload: { uploaded: destPath } };
    },
    async stopPod(req, ctx) {
      return { message: "Pod stop requested.", result: podToProto(await pods.stop(callerOf(ctx), req.podId)) };
    },
    async startPod(req, ctx) {
      return { message: "Pod start requested.", result: podToProto(await pods.start(callerOf(ctx), req.podId)) };
    },
    async savePodAsTemplateTag(req, ctx) {
      // pod_id_net is "<pod_id>" or "<pod_id>-<networking key>"; pod ids hold no "-".
      const podId = req.podIdNet.split("-")[0]!;
      const row = await saver.save(callerOf(ctx), podId, { templateId: req.templateId, tag: req.tag, commitMessage: req.commitMessage });
      return { message: "Pod saved as template tag successfully.", result: tagToProto(row, true) };
    },
    async attachPodVolumes(req, ctx) {
      const view = await pods.attachVolumes(callerOf(ctx), req.podId, mountsFromAttach(req));
      return { message: "Volumes attached to the pod; they are mounted from its next start.", result: podToProto(view) };
    },
    async restartPod(req, ctx) {
      const view = await pods.restart(callerOf(ctx), req.podId, req.grabLatestTemplateTag);
      return { message: "Pod restart requested.", result: podToProto(view) };
    },
  };
}

/** The request id the gateway (or a gRPC caller) gave this call, for the agent's logs. */
function requestIdOf(ctx: HandlerContext): string {
  return ctx.requestHeader.get(metadataNames.requestId) ?? "";
}
