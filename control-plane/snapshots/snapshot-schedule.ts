import { CronExpressionParser } from "cron-parser";

/**
 * The pure rules of snapshot schedules: standard 5-field cron expressions
 * (in UTC), when a schedule runs, what the snapshots it makes are called,
 * and which of them a retention policy prunes.
 */

const day = 24 * 3600 * 1000;
const maxKeep = 1000;
const maxDays = 36_500;

/** Why `expression` is not a standard 5-field cron expression, or null. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `must be a 5-field cron expression (minute hour day-of-month month day-of-week); it has ${fields.length} field${fields.length === 1 ? "" : "s"}`;
  }
  try {
    parse(expression, 0).next();
    return null;
  } catch (error) {
    return `is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The first time `expression` names after `afterMs` (epoch ms, UTC). */
export function nextRunAfter(expression: string, afterMs: number): number {
  return parse(expression, afterMs).next().getTime();
}

/** The last time `expression` names at or before `atMs`: the one run a schedule due since earlier makes. */
export function latestRunAtOrBefore(expression: string, atMs: number): number {
  return parse(expression, atMs + 1).prev().getTime();
}

function parse(expression: string, currentMs: number) {
  return CronExpressionParser.parse(expression.trim(), { currentDate: new Date(currentMs), tz: "UTC" });
}

/**
 * The id of the snapshot a schedule makes at `runAtMs`: the schedule's id
 * (cut to leave room) and the run's UTC time as yyyymmddhhmm, so ids stay
 * within 64 lowercase letters and digits and sort by time.
 */
export function datedSnapshotId(scheduleId: string, runAtMs: number): string {
  const stamp = new Date(runAtMs).toISOString().replace(/[-:T]/g, "").slice(0, 12);
  return scheduleId.slice(0, 64 - stamp.length) + stamp;
}

/** Which snapshots a schedule keeps: the newest `keep`, those younger than `days` days; both when both are given. */
export interface RetentionPolicy {
  keep?: number;
  days?: number;
}

const retentionFormat = "must be keep:<n>, days:<n> or both, comma-separated (e.g. keep:7,days:30)";

/** Reads a retention_policy ("" keeps everything), or says which rule it breaks. */
export function readRetention(text: string): RetentionPolicy | { rule: string } {
  const policy: RetentionPolicy = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const match = /^(keep|days):(\d+)$/.exec(part);
    if (!match) return { rule: retentionFormat };
    const [, name, digits] = match;
    const value = Number(digits);
    if (name === "keep") {
      if (policy.keep !== undefined) return { rule: "names keep twice" };
      if (value < 1 || value > maxKeep) return { rule: `keep:<n> must keep 1 to ${maxKeep} snapshots` };
      policy.keep = value;
    } else {
      if (policy.days !== undefined) return { rule: "names days twice" };
      if (value < 1 || value > maxDays) return { rule: `days:<n> must be 1 to ${maxDays} days` };
      policy.days = value;
    }
  }
  return policy;
}

/**
 * The ids of the snapshots a schedule made that `policy` prunes at `nowMs`:
 * beyond the newest `keep`, or made more than `days` days ago.
 */
export function prunedByRetention(policy: RetentionPolicy, made: { id: string; madeAt: number }[], nowMs: number): string[] {
  const newestFirst = [...made].sort((a, b) => b.madeAt - a.madeAt || b.id.localeCompare(a.id));
  return newestFirst
    .filter((snapshot, index) => (policy.keep !== undefined && index >= policy.keep) || (policy.days !== undefined && snapshot.madeAt < nowMs - policy.days * day))
    .map((snapshot) => snapshot.id);
}
