import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ImagesService } from "../../gen/tapis/pods/v1/images_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import type { ImageRow } from "../storage/entities/image-entity.js";
import type { ImageAllowlist } from "./image-allowlist.js";

/** ImagesService over gRPC/Connect: translates messages and delegates to the allowlist. */
export function imagesRpc(images: ImageAllowlist): ServiceImpl<typeof ImagesService> {
  return {
    async getImages(_req, ctx) {
      return { message: "Images retrieved successfully.", result: (await images.list(callerOf(ctx))).map(imageToProto) };
    },
    async addImage(req, ctx) {
      const [added] = await images.add(callerOf(ctx), [{ image: req.image, tenants: req.tenants, description: req.description }], false, () => "");
      return { message: "Image added successfully.", result: imageToProto(added!) };
    },
    async addImages(req, ctx) {
      const added = await images.add(callerOf(ctx), req.images, req.skipDuplicates, (index) => `images[${index}].`);
      return { message: `${added.length} image(s) added successfully.`, result: added.map(imageToProto) };
    },
    async getImage(req, ctx) {
      return { message: "Image retrieved successfully.", result: imageToProto(await images.get(callerOf(ctx), req.imageId)) };
    },
    async deleteImage(req) {
      await images.delete(req.imageId);
      return { message: "Image deleted successfully.", result: "" };
    },
  };
}

function imageToProto(row: ImageRow) {
  return { image: row.image, tenants: row.tenants, description: row.description, creationTs: timestampFromMs(row.creationTs), addedBy: row.addedBy };
}
