import { UnavailableError } from "../errors/domain-errors.js";

const unreachable = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|PROTOCOL_CONNECTION_LOST|ER_SERVER_SHUTDOWN|ER_CON_COUNT_ERROR)$/;
const busy = /^(SQLITE_BUSY|SQLITE_LOCKED|ER_LOCK_WAIT_TIMEOUT|ER_LOCK_DEADLOCK|ER_STATEMENT_TIMEOUT|ER_QUERY_TIMEOUT)$/;

/** Failures that pass (the database is down, or busy past the deadlines) become UnavailableError: 503, not 500. */
export async function translateTransientErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, driverError } = error as { code?: string; driverError?: { code?: string } };
    const cause = code ?? driverError?.code ?? "";
    if (unreachable.test(cause)) throw new UnavailableError(`database unavailable (${cause}); retry shortly`);
    if (busy.test(cause)) throw new UnavailableError(`the database is busy (${cause}); retry shortly`);
    throw error;
  }
}
