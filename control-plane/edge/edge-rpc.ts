import type { ServiceImpl } from "@connectrpc/connect";
import { EdgeService } from "../../gen/tapis/pods/v1/edge_service_pb.js";
import type { EdgeRoutesService } from "./edge-routes-service.js";

/** EdgeService: the edge model for proxies that render it themselves. */
export function edgeRpc(edge: EdgeRoutesService): ServiceImpl<typeof EdgeService> {
  return {
    async getEdgeRoutes(req) {
      return { routes: await edge.routes(req.clusterId) };
    },
  };
}
