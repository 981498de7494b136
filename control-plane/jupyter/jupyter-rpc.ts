import type { ServiceImpl } from "@connectrpc/connect";
import { JupyterService } from "../../gen/tapis/pods/v1/jupyter_service_pb.js";
import { metadataNames } from "../../shared/rpc/metadata.js";
import { callerOf } from "../auth/caller-of.js";
import type { JupyterPods } from "./jupyter-pods.js";

/** JupyterService over RPC. */
export function jupyterRpc(jupyter: JupyterPods): ServiceImpl<typeof JupyterService> {
  return {
    async ensureJupyterPod(_req, ctx) {
      const pod = await jupyter.ensure(callerOf(ctx));
      return { message: "Jupyter pod ready.", result: pod };
    },
    async uploadToJupyter(requests, ctx) {
      const { destPath, bytes } = await jupyter.upload(callerOf(ctx), requests, ctx.requestHeader.get(metadataNames.requestId) ?? "");
      return { message: "File uploaded to the Jupyter pod.", result: `Wrote ${bytes} bytes to ${destPath}.` };
    },
  };
}
