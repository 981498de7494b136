import type { PodFileInfo } from "../../gen/tapis/pods/v1/common_pb.js";
import { readPodPath } from "../../shared/files/pod-paths.js";
import type { AgentLink } from "../agents/agent-router.js";
import type { Download } from "../agents/agent-sessions.js";
import type { Caller } from "../auth/caller.js";
import { CommandFailedError, InvalidArgumentError, NotFoundError, StorageFailedError, TooLargeError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import { findAvailablePod } from "./available-pod.js";
import type { PodRecord } from "./pod-model.js";

/** Where a request names its path: in the URL (relative) or as ?path= (absolute allowed); not both. */
export interface GivenPath {
  urlPath: string;
  path: string;
}

export interface PodFileListing {
  path: string;
  files: PodFileInfo[];
  truncated: boolean;
  /** The pod runs in the simulated cluster: no container, no files. */
  simulated: boolean;
}

/** A quick file operation in a container (a listing, or a download's first answer). */
const lookTimeoutMs = 90_000;

/**
 * Files in pods' running containers, listed and downloaded through the
 * agent of the pod's cluster (which reads them with exec). Paths are
 * checked here first, so a refused one never reaches an agent.
 */
export class PodContainerFiles {
  constructor(
    private readonly db: Database,
    private readonly agents: AgentLink,
  ) {}

  async list(caller: Caller, podId: string, given: GivenPath, clientRequestId: string): Promise<PodFileListing> {
    const path = pathOf(given) ?? ".";
    const pod = await runningPod(this.db, caller, podId);
    const reply = await this.agents.storage(pod.clusterId, { clientRequestId, operation: { case: "listPodFiles", value: placeOf(pod, path) } }, lookTimeoutMs);
    if (reply.simulated) return { path, files: [], truncated: false, simulated: true };
    if (reply.error) throw inClientTerms(new StorageFailedError(problemKind(reply.problem), reply.error), podId, path);
    return { path, files: reply.podFiles, truncated: reply.truncated, simulated: false };
  }

  async download(caller: Caller, podId: string, given: GivenPath, zip: boolean, clientRequestId: string): Promise<Download> {
    const path = pathOf(given);
    if (path === null) throw new InvalidArgumentError("path", "is required: name a file or folder in the URL or as ?path=");
    if (path === "/") throw new InvalidArgumentError("path", "the container's root cannot be downloaded; name a folder or file in it");
    const pod = await runningPod(this.db, caller, podId);
    let download: Download;
    try {
      download = await this.agents.download(pod.clusterId, { clientRequestId, operation: { case: "readPodFile", value: { place: placeOf(pod, path), zip } } }, lookTimeoutMs);
    } catch (error) {
      throw inClientTerms(error, podId, path);
    }
    if (download.reply.simulated) {
      for await (const piece of download.pieces) void piece;
      throw simulatedFileMissing(podId, path);
    }
    return download;
  }
}

/** The path a request names, checked; null when it names none. */
function pathOf(given: GivenPath): string | null {
  if (given.urlPath && given.path) throw new InvalidArgumentError("path", "give the path in the URL or as ?path=, not both");
  if (!given.urlPath && !given.path) return null;
  const reading = given.urlPath ? readPodPath(given.urlPath, "relative-only") : readPodPath(given.path, "absolute-allowed");
  if ("rule" in reading) throw new InvalidArgumentError("path", reading.rule);
  return reading.path;
}

function runningPod(db: Database, caller: Caller, podId: string): Promise<PodRecord> {
  return findAvailablePod(db, caller.tenantId, podId, "files are reached only in an AVAILABLE pod");
}

function placeOf(pod: PodRecord, path: string) {
  return { tenantId: pod.tenantId, podId: pod.podId, uid: pod.uid, path };
}

function problemKind(problem: number) {
  return (["disk", "invalid-path", "not-found", "is-folder", "not-folder", "too-large"] as const)[problem] ?? "disk";
}

/** An agent's refusal in the client's terms: 400 naming the path, 404, 413, or 409 when the container could not do it. */
function inClientTerms(error: unknown, podId: string, path: string): unknown {
  if (!(error instanceof StorageFailedError)) return error;
  switch (error.problem) {
    case "invalid-path":
    case "is-folder":
    case "not-folder":
      return new InvalidArgumentError("path", error.detail);
    case "not-found":
      return new NotFoundError("file", path, `pod '${podId}'`);
    case "too-large":
      return new TooLargeError(`'${path}' in pod '${podId}' is too large to list: ${error.detail}`);
    case "disk":
      return new CommandFailedError(error.detail);
  }
}

/** The simulated cluster's honest answer: no container, so no file. */
function simulatedFileMissing(podId: string, path: string): NotFoundError {
  const error = new NotFoundError("file", path, `pod '${podId}'`);
  error.message = `[simulated] pod '${podId}' runs in the simulated cluster, where no container runs: it holds no file '${path}'.`;
  return error;
}
