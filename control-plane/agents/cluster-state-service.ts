import type { EntityManager } from "typeorm";
import { podEventKey } from "../../shared/events/event-bus.js";
import { DomainError, NotFoundError, UnavailableError } from "../errors/domain-errors.js";
import { applyObservation, runSecondsOf, type Observation } from "../pods/pod-lifecycle.js";
import type { PodFields, PodRecord, PodStatusName } from "../pods/pod-model.js";
import { writeTransition } from "../pods/pod-transition-writer.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import type { Database } from "../storage/database.js";
import type { PodCredentialsRepository } from "../storage/pod-credentials-repository.js";
import { podLogRepository, type LogLimits } from "../storage/pod-log-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import type { PodSecrets } from "../secrets/pod-secrets.js";
import type { StorageMounts } from "../files/storage-mounts.js";
import { derivePodFields } from "../templates/template-resolver.js";
import { buildDesiredPod, type DesiredPodSpec } from "./desired-pod-builder.js";

/** The registered node selector and tolerations of a cluster's compute queue. */
export type QueuePlacements = (clusterId: string, queue: string) => Promise<{ nodeSelector: Record<string, string>; tolerations: string[] } | undefined>;

export interface ClusterStateDeps {
  db: Database;
  /** The pods' credentials, which the desired state carries to the agent. */
  credentials: PodCredentialsRepository;
  /** The values behind pods' secret maps, which the desired state carries too. */
  podSecrets: PodSecrets;
  placements: QueuePlacements;
  /** The claims a cluster grants to a tenant's pods. */
  claimsGrantedTo: (clusterId: string, tenantId: string) => Promise<string[]>;
  /** The domain a cluster's pod URLs are formed under (which ${pods:url} in a secret_map reads). */
  domainOf: (clusterId: string) => Promise<string>;
  actionLog: ActionLogRepository;
  now: () => number;
  outboxWritten: () => void;
  /** Container output kept: bytes per run, runs per pod. */
  logLimits: LogLimits;
  /** Whether each mount's mounter may still use it, at every start. */
  storageMounts?: Pick<StorageMounts, "refusalAtStart">;
}

/** Statuses in which no container of the pod runs any more. */
const runEndingStatuses = new Set<PodStatusName>(["STOPPED", "COMPLETE", "ERROR"]);

/** A chunk of container output reported by an agent. */
export interface LogChunk {
  tenantId: string;
  podId: string;
  uid: string;
  reset: boolean;
  text: string;
}

/** What an agent saw of one pod. */
export interface ObservationReport {
  kind: "observation";
  tenantId: string;
  podId: string;
  seen: Observation;
}

/** A report an agent sends: what it saw of a pod, or its container's output. */
export type AgentReport = ObservationReport | { kind: "logs"; chunk: LogChunk };

/**
 * The cluster side of pods: what agents must realise, and what they report.
 * An agent only ever sees and touches pods placed on its own cluster.
 */
export class ClusterStateService {
  constructor(private readonly deps: ClusterStateDeps) {}

  async desiredPage(clusterId: string, cursor: string, limit: number): Promise<{ pods: DesiredPodSpec[]; next: string }> {
    return this.desiredPageOf(clusterId, cursor, limit, () => true);
  }

  /**
   * Desired state of every pod of the cluster whose event key `holds`
   * accepts, read from the database a page at a time, so memory stays
   * bounded by one page however many pods the cluster runs.
   */
  async *desiredOfShare(clusterId: string, holds: (key: string) => boolean, pageSize: number): AsyncGenerator<DesiredPodSpec> {
    let cursor = "";
    do {
      const page = await this.desiredPageOf(clusterId, cursor, pageSize, holds);
      yield* page.pods;
      cursor = page.next;
    } while (cursor);
  }

  private async desiredPageOf(clusterId: string, cursor: string, limit: number, holds: (key: string) => boolean): Promise<{ pods: DesiredPodSpec[]; next: string }> {
    // The cluster registry may read the database: look the domain up before the read.
    const domain = await this.deps.domainOf(clusterId);
    const page = await this.deps.db.read(async (m) => {
      const rows = await podRepository.pageOfCluster(m, clusterId, cursor, limit);
      const pods: DesiredPodSpec[] = [];
      // Pods of a page mostly share a few templates: resolve each once per page.
      const templates = new Map<string, PodFields>();
      for (const pod of rows) if (holds(podEventKey(pod.tenantId, pod.podId))) pods.push(await this.desired(m, pod, domain, templates));
      const last = rows.at(-1);
      return { pods, next: rows.length === limit && last ? JSON.stringify([last.tenantId, last.podId]) : "" };
    });
    for (const pod of page.pods) await this.place(clusterId, pod);
    return page;
  }

  async desiredPod(clusterId: string, tenantId: string, podId: string): Promise<DesiredPodSpec> {
    const domain = await this.deps.domainOf(clusterId);
    const pod = await this.deps.db.read(async (m) => this.desired(m, await this.podOfCluster(m, clusterId, tenantId, podId), domain));
    return this.place(clusterId, pod);
  }

  /** Adds the queue's registered placement and the tenant's claims; looked up outside any database call, as they may read it. */
  private async place(clusterId: string, pod: DesiredPodSpec): Promise<DesiredPodSpec> {
    pod.placement = (await this.deps.placements(clusterId, pod.computeQueue)) ?? pod.placement;
    pod.allowedClaims = await this.deps.claimsGrantedTo(clusterId, pod.tenantId);
    return pod;
  }

  /**
   * Stores a run of an agent's reports in one transaction and answers, for
   * each, null (stored) or why it was refused. If the run as a whole fails on
   * something one report could cause, each is stored on its own instead, so
   * only that one is refused; the database being unreachable or busy still throws.
   */
  async storeReports(clusterId: string, reports: readonly AgentReport[]): Promise<(string | null)[]> {
    if (reports.length > 1) {
      try {
        await this.storeTogether(clusterId, reports);
        return reports.map(() => null);
      } catch (error) {
        if (refusalOf(error) === null) throw error;
      }
    }
    const refusals: (string | null)[] = [];
    for (const report of reports) {
      try {
        await this.storeTogether(clusterId, [report]);
        refusals.push(null);
      } catch (error) {
        const refusal = refusalOf(error);
        if (refusal === null) throw error;
        refusals.push(refusal);
      }
    }
    return refusals;
  }

  private async storeTogether(clusterId: string, reports: readonly AgentReport[]): Promise<void> {
    const now = this.deps.now();
    const wroteEvents = await this.deps.db.transaction(async (tx) => {
      let wroteEvents = false;
      for (const report of reports) {
        if (report.kind === "logs") await this.appendLogsIn(tx, clusterId, report.chunk, now);
        else if (await this.observeIn(tx, clusterId, report, now)) wroteEvents = true;
      }
      return wroteEvents;
    });
    if (wroteEvents) this.deps.outboxWritten();
  }

  /** Applies an observation; stale ones (older generation, other uid) change nothing. True when it wrote events. */
  private async observeIn(tx: EntityManager, clusterId: string, { tenantId, podId, seen }: ObservationReport, now: number): Promise<boolean> {
    const pod = await podRepository.findForUpdate(tx, tenantId, podId);
    if (!pod || pod.clusterId !== clusterId) return false;
    const effective = await derivePodFields(tx, tenantId, pod.fields, pod.templateVersion);
    const transition = applyObservation(pod, seen, runSecondsOf(effective));
    if (!transition) return false;
    const { pod: updated, wroteEvents } = await writeTransition(tx, pod, transition, now, { actionLog: this.deps.actionLog, clock: this.deps.now });
    // The container is gone: its output so far is the run's whole output.
    if (updated.status !== pod.status && runEndingStatuses.has(updated.status)) await podLogRepository.closeRun(tx, tenantId, podId, now);
    return wroteEvents;
  }

  private async appendLogsIn(tx: EntityManager, clusterId: string, chunk: LogChunk, now: number): Promise<void> {
    const pod = await podRepository.findForUpdate(tx, chunk.tenantId, chunk.podId);
    if (!pod || pod.clusterId !== clusterId || pod.uid !== chunk.uid) return;
    await podLogRepository.append(tx, chunk.tenantId, chunk.podId, chunk.text, chunk.reset, this.deps.logLimits, now);
  }

  private async podOfCluster(m: EntityManager, clusterId: string, tenantId: string, podId: string): Promise<PodRecord> {
    const pod = await podRepository.find(m, tenantId, podId);
    if (!pod || pod.clusterId !== clusterId) throw new NotFoundError("pod", `${tenantId}/${podId}`);
    return pod;
  }

  private async desired(m: EntityManager, pod: PodRecord, domain: string, templates?: Map<string, PodFields>): Promise<DesiredPodSpec> {
    const effective = await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion, templates);
    const credentials = await this.deps.credentials.find(m, pod.tenantId, pod.podId);
    if (!credentials) throw new NotFoundError("pod credentials", `${pod.tenantId}/${pod.podId}`);
    const secrets = await this.deps.podSecrets.resolveAll(m, { tenantId: pod.tenantId, podId: pod.podId, owner: pod.owner ?? null }, effective, domain);
    const mountRefusal = "refusal" in secrets ? null : await this.deps.storageMounts?.refusalAtStart(m, pod, effective);
    return buildDesiredPod(pod, effective, credentials, mountRefusal ? { refusal: mountRefusal } : secrets);
  }
}

/** Why a report can never be stored, or null when the failure passes (the database is down or busy) and the agent must resend. */
function refusalOf(error: unknown): string | null {
  return error instanceof DomainError && !(error instanceof UnavailableError) ? error.message : null;
}
