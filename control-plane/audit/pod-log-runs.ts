import type { Caller } from "../auth/caller.js";
import { NotFoundError } from "../errors/domain-errors.js";
import type { Database } from "../storage/database.js";
import type { PodLogRunRow } from "../storage/entities/pod-log-entity.js";
import { podLogRepository } from "../storage/pod-log-repository.js";

/** Chunks read from the database at once while a run is downloaded. */
const chunksPerRead = 16;

/** The kept output of a pod's runs, listed, read whole or streamed as a file. */
export class PodLogRuns {
  constructor(private readonly db: Database) {}

  list(caller: Caller, podId: string): Promise<PodLogRunRow[]> {
    return this.db.read((m) => podLogRepository.runs(m, caller.tenantId, podId));
  }

  get(caller: Caller, podId: string, runIndex: number): Promise<{ run: PodLogRunRow; logs: string }> {
    return this.db.read(async (m) => {
      const run = await podLogRepository.run(m, caller.tenantId, podId, runIndex);
      if (!run) throw new MissingRunError(podId, runIndex);
      return { run, logs: await podLogRepository.text(m, run) };
    });
  }

  /** The run (checked before anything is sent) and its output, a few chunks at a time. */
  async download(caller: Caller, podId: string, runIndex: number): Promise<{ run: PodLogRunRow; pieces: AsyncGenerator<Uint8Array> }> {
    const { run, ids } = await this.db.read(async (m) => {
      const run = await podLogRepository.run(m, caller.tenantId, podId, runIndex);
      if (!run) throw new MissingRunError(podId, runIndex);
      return { run, ids: await podLogRepository.chunkIds(m, run) };
    });
    const db = this.db;
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < ids.length; at += chunksPerRead) {
        const texts = await db.read((m) => podLogRepository.chunkTexts(m, ids.slice(at, at + chunksPerRead)));
        for (const text of texts) if (text) yield Buffer.from(text);
      }
    }
    return { run, pieces: pieces() };
  }
}

/** Upstream's words for a run the pod does not have (any more). */
class MissingRunError extends NotFoundError {
  constructor(podId: string, runIndex: number) {
    super("log run", String(runIndex));
    this.message = `Log run #${runIndex} not found for pod '${podId}'.`;
  }
}
