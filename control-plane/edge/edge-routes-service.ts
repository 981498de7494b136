import { create } from "@bufbuild/protobuf";
import { EdgeRoutesSchema, type EdgeRoute, type EdgeRoutes } from "../../gen/tapis/pods/v1/edge_service_pb.js";
import type { Logger } from "../../shared/logging/logger.js";
import { NotFoundError } from "../errors/domain-errors.js";
import { networkingLive } from "../pods/healthchecks.js";
import { podDefaults, type PodFields, type PodRecord } from "../pods/pod-model.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import type { Database } from "../storage/database.js";
import type { ClusterRow } from "../storage/entities/cluster-entity.js";
import { podRepository } from "../storage/pod-repository.js";
import { derivePodFields } from "../templates/template-resolver.js";
import { edgeRoutesOfPod, type EdgeSite } from "./edge-routes.js";

export interface EdgeRoutesDeps {
  db: Database;
  clusters: { list(): Promise<ClusterRow[]> };
  actionLog: ActionLogRepository;
  now: () => number;
  logger: Logger;
  /** Read on every build: the API's address may be known only once the gateway listens. */
  site: () => EdgeSite;
}

/**
 * Builds the edge model from the database: a route for every routed entry
 * of every pod whose URLs are live (AVAILABLE and, when they wait for
 * readiness, ready: see networkingLive). A pod whose entries break a rule is left out, and
 * its action log says why, once per pod generation and reason on each
 * replica, however often proxies ask.
 */
export class EdgeRoutesService {
  /** Pod (tenant, id, uid, generation) → the reasons last written to its action log. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly deps: EdgeRoutesDeps) {}

  /** The routes of one cluster's pods, or of every cluster's when `clusterId` is empty. */
  async routes(clusterId = ""): Promise<EdgeRoutes> {
    const clusters = new Map((await this.deps.clusters.list()).map((cluster) => [cluster.clusterId, cluster]));
    if (clusterId && !clusters.has(clusterId)) throw new NotFoundError("cluster", clusterId);
    const site = this.deps.site();
    const { pods, effective } = await this.deps.db.read(async (m) => {
      const pods = await podRepository.available(m, clusterId || undefined);
      const cache = new Map<string, PodFields>();
      const effective = new Map<PodRecord, PodFields | Error>();
      for (const pod of pods) {
        // One pod whose template cannot be resolved must not take the whole configuration down.
        effective.set(pod, await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion, cache).catch((error: unknown) => asError(error)));
      }
      return { pods, effective };
    });
    const routes: EdgeRoute[] = [];
    for (const pod of pods) {
      const fields = effective.get(pod)!;
      if (!(fields instanceof Error) && !networkingLive(pod, fields)) continue;
      const cluster = clusters.get(pod.clusterId);
      const edge =
        fields instanceof Error
          ? { routes: [], problems: [`template: ${fields.message}`] }
          : edgeRoutesOfPod(
              {
                tenantId: pod.tenantId,
                podId: pod.podId,
                siteId: pod.siteId,
                networking: fields.networking ?? podDefaults.networking,
                cluster: { domain: cluster?.domain ?? "", namespace: cluster?.namespace || "pods" },
              },
              site,
            );
      routes.push(...edge.routes);
      await this.report(pod, edge.problems);
    }
    return create(EdgeRoutesSchema, { routes, apiUrl: site.apiUrl ?? "" });
  }

  private async report(pod: PodRecord, problems: string[]): Promise<void> {
    const key = [pod.tenantId, pod.podId, pod.uid, pod.generation].join("\u0000");
    if (problems.length === 0) {
      this.reported.delete(key);
      return;
    }
    const reason = `Not routed: ${problems.join("; ")}.`;
    if (this.reported.get(key) === reason) return;
    this.reported.set(key, reason);
    this.deps.logger.info("pod left out of the edge routes", { tenant: pod.tenantId, pod: pod.podId, reason });
    await this.deps.db.transaction(async (tx) => {
      if (await podRepository.find(tx, pod.tenantId, pod.podId)) await this.deps.actionLog.add(tx, pod.tenantId, pod.podId, this.deps.now(), reason);
    });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
