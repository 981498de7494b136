import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { PodChangeType, PodWatchService } from "../../gen/tapis/pods/v1/watch_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import type { Caller } from "../auth/caller.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { InvalidArgumentError, NotFoundError } from "../errors/domain-errors.js";
import { podToProto } from "../pods/pod-proto.js";
import type { PodService } from "../pods/pod-service.js";
import type { Database } from "../storage/database.js";
import { keepTail, podLogRepository } from "../storage/pod-log-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import type { PodChangeFeed } from "./pod-change-feed.js";

/** How often a followed pod's output is read again. */
const followPollMs = 500;
/** Of the output kept, how much a follower gets first. */
const initialTailBytes = 1024 * 1024;

/**
 * PodWatchService: pods' changes as they happen, resumable by revision, and
 * a pod's container output as it comes. Access to the pod named is checked
 * by the access table before the stream starts; WatchPods shows each change
 * only of pods the caller may read.
 */
export function watchRpc(pods: PodService, objects: ObjectAccess, db: Database, feed: PodChangeFeed): ServiceImpl<typeof PodWatchService> {
  /** The pod as the caller sees it now, or null when it is gone. */
  const current = async (caller: Caller, podId: string) => {
    try {
      return podToProto(await pods.get(caller, podId));
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  };
  return {
    async *watchPod(req, ctx) {
      const caller = callerOf(ctx);
      let from = Number(req.fromRevision);
      if (from === 0) {
        from = await feed.latest();
        const pod = await current(caller, req.podId);
        if (!pod) throw new NotFoundError("pod", req.podId);
        yield { revision: BigInt(from), type: PodChangeType.ADDED, podId: req.podId, pod };
      }
      for await (const change of feed.after(from, ctx.signal)) {
        if (change.tenantId !== caller.tenantId || change.podId !== req.podId) continue;
        const pod = change.deleted ? null : await current(caller, req.podId);
        if (!pod) {
          yield { revision: BigInt(change.revision), type: PodChangeType.DELETED, podId: req.podId };
          return;
        }
        yield { revision: BigInt(change.revision), type: PodChangeType.MODIFIED, podId: req.podId, pod };
      }
    },

    async *watchPods(req, ctx) {
      const caller = callerOf(ctx);
      let from = Number(req.fromRevision);
      if (from === 0) {
        from = await feed.latest();
        for (const view of await pods.list(caller)) yield { revision: BigInt(from), type: PodChangeType.ADDED, podId: view.pod_id, pod: podToProto(view) };
      }
      const readable = new Map<string, boolean>();
      for await (const change of feed.after(from, ctx.signal)) {
        if (change.tenantId !== caller.tenantId) continue;
        if (change.deleted) {
          if (readable.get(change.podId)) yield { revision: BigInt(change.revision), type: PodChangeType.DELETED, podId: change.podId };
          readable.delete(change.podId);
          continue;
        }
        const mayRead = await objects.levelOf(caller, "pod", change.podId).then((level) => level !== null, () => false);
        readable.set(change.podId, mayRead);
        if (!mayRead) continue;
        const pod = await current(caller, change.podId);
        if (pod) yield { revision: BigInt(change.revision), type: PodChangeType.MODIFIED, podId: change.podId, pod };
      }
    },

    async *followPodLogs(req, ctx) {
      if (!req.follow) throw new InvalidArgumentError("follow", "must be true; without it, GET /v3/pods/{pod_id}/logs answers the kept output at once");
      const caller = callerOf(ctx);
      const contentType = "text/plain; charset=utf-8";
      // What is kept now and where it ends, in one read, so nothing falls between it and what follows.
      const kept = await db.read(async (m) => {
        if (!(await podRepository.find(m, caller.tenantId, req.podId))) throw new NotFoundError("pod", req.podId);
        return podLogRepository.chunksAfter(m, caller.tenantId, req.podId, 0);
      });
      let lastChunk = kept.at(-1)?.id ?? 0;
      yield { data: new TextEncoder().encode(keepTail(kept.map((c) => c.text).join(""), initialTailBytes)), contentType };
      while (!ctx.signal.aborted) {
        await pause(followPollMs, ctx);
        const { pod, chunks } = await db.read(async (m) => ({
          pod: await podRepository.find(m, caller.tenantId, req.podId),
          chunks: await podLogRepository.chunksAfter(m, caller.tenantId, req.podId, lastChunk),
        }));
        for (const chunk of chunks) {
          lastChunk = chunk.id!;
          yield { data: new TextEncoder().encode(chunk.text), contentType };
        }
        if (!pod) return;
      }
    },
  };
}

function pause(ms: number, ctx: HandlerContext): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ctx.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
