import { CliError, ServiceError, UnreachableError } from "../cli-error.js";
import { escapePath, type PodsClient } from "../http/pods-client.js";
import { newLogText, type LogChange } from "./new-log-text.js";

/** The logs result of the service: container output and the action log. */
export interface PodLogs {
  logs?: string;
  action_logs?: string[];
}

/** Which of a pod's logs to show. */
export type LogKind = "container" | "actions";

export interface FollowHandlers {
  /** New text, in order. */
  onChange(change: LogChange): void;
  /** A reading failed for a reason that may pass (the service is down); following goes on. */
  onInterruption(error: CliError): void;
  /** Readings work again after an interruption. */
  onResumed(): void;
}

/**
 * Follows a pod's logs until `signal` aborts. Today's service offers only
 * whole readings, so the follower polls; when the service streams logs
 * (`GET …/logs?follow=true`), a streaming follower behind this same
 * interface takes over and the `logs` command stays as it is.
 */
export interface LogFollower {
  follow(podId: string, kind: LogKind, handlers: FollowHandlers, signal: AbortSignal): Promise<void>;
}

/** The logs of `kind` as one text. */
export function logText(logs: PodLogs, kind: LogKind): string {
  return kind === "actions" ? (logs.action_logs ?? []).map((line) => `${line}\n`).join("") : (logs.logs ?? "");
}

export function readPodLogs(client: PodsClient, podId: string, signal?: AbortSignal): Promise<PodLogs> {
  return client.call<PodLogs>("GET", `/v3/pods/${escapePath(podId)}/logs`, { signal }).then((answer) => answer.result ?? {});
}

/** Reads the logs every `intervalMs` and hands on only what is new. */
export class PollingLogFollower implements LogFollower {
  constructor(
    private readonly client: PodsClient,
    private readonly intervalMs: number,
  ) {}

  async follow(podId: string, kind: LogKind, handlers: FollowHandlers, signal: AbortSignal): Promise<void> {
    let seen = "";
    let interrupted = false;
    while (!signal.aborted) {
      try {
        const current = logText(await readPodLogs(this.client, podId, signal), kind);
        if (interrupted) handlers.onResumed();
        interrupted = false;
        const change = newLogText(seen, current);
        if (change.text || change.restarted) handlers.onChange(change);
        seen = current;
      } catch (error) {
        if (signal.aborted) return;
        if (!passing(error)) throw error;
        if (!interrupted) handlers.onInterruption(error as CliError);
        interrupted = true;
      }
      await pause(this.intervalMs, signal);
    }
  }
}

/** Picks how to follow logs; polling is the one way the service offers now. */
export function createLogFollower(client: PodsClient, intervalMs: number): LogFollower {
  return new PollingLogFollower(client, intervalMs);
}

function passing(error: unknown): boolean {
  return error instanceof UnreachableError || (error instanceof ServiceError && (error.status >= 500 || error.status === 408 || error.status === 429));
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
