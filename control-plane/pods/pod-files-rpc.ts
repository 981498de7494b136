import type { ServiceImpl } from "@connectrpc/connect";
import { PodFilesService } from "../../gen/tapis/pods/v1/pod_files_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import { contentMessages } from "../files/content-messages.js";
import { requestIdOf } from "../files/file-proto.js";
import type { PodContainerFiles } from "./pod-container-files.js";

/** PodFilesService over gRPC/Connect: translates messages and delegates to the pods' container files. */
export function podFilesRpc(files: PodContainerFiles): ServiceImpl<typeof PodFilesService> {
  return {
    async listFilesInPod(req, ctx) {
      const listing = await files.list(callerOf(ctx), req.podId, { urlPath: req.urlPath, path: req.path }, requestIdOf(ctx));
      const message = listing.simulated
        ? `[simulated] pod '${req.podId}' runs in the simulated cluster, where no container runs: there are no files in '${listing.path}'.`
        : listing.truncated
          ? `Listed the first ${listing.files.length} entries in ${listing.path}; there are more.`
          : `Successfully listed files in ${listing.path}`;
      return { message, result: { path: listing.path, files: listing.files, count: listing.files.length } };
    },
    async *downloadFromPod(req, ctx) {
      yield* contentMessages(await files.download(callerOf(ctx), req.podId, { urlPath: req.urlPath, path: req.path }, req.zip, requestIdOf(ctx)));
    },
  };
}
