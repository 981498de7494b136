import { FailedPreconditionError, NotFoundError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import { podRepository } from "../storage/pod-repository.js";
import type { PodRecord } from "./pod-model.js";

/** A pod that must be AVAILABLE for what is asked of it; `rule` says what, in the error. */
export async function findAvailablePod(db: Database, tenantId: string, podId: string, rule: string): Promise<PodRecord> {
  const pod = await db.read((m) => podRepository.find(m, tenantId, podId));
  if (!pod) throw new NotFoundError("pod", podId);
  if (pod.status !== "AVAILABLE") throw new FailedPreconditionError(`pod '${podId}' is ${pod.status}; ${rule}`);
  return pod;
}
