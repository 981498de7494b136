import { PassThrough, Writable, type Readable } from "node:stream";
import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  makeInformer,
  PatchStrategy,
  ServerConfiguration,
  type CoreV1Event,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1Pod,
  type V1Status,
} from "@kubernetes/client-node";
import { SpanKind, trace } from "@opentelemetry/api";
import { inSpan, tracerOf } from "../../../shared/tracing/tracing.js";
import type { InteractiveCommand, SessionCommand } from "../cluster-driver.js";
import { openContainerSession } from "./container-session.js";
import { KeptAliveAgent } from "./kept-alive-agent.js";
import { execOutcome, type ExecOutcome } from "./exec-status.js";

export type { ExecOutcome } from "./exec-status.js";

/**
 * The Kubernetes API refused or could not find something: `status` is the
 * HTTP code, `reason` the Status reason ("Invalid", "Forbidden", ...),
 * `serverMessage` what the API server said, `object` the kind and name
 * sent when the call was about one object.
 */
export class KubernetesApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly serverMessage: string,
    readonly object?: string,
  ) {
    super(`Kubernetes API answered ${status}${serverMessage ? `: ${serverMessage}` : ""}`);
    this.name = "KubernetesApiError";
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** Whether sending the same request again can never succeed (see refusedForGood). */
  get refusedForGood(): boolean {
    return refusedForGood(this.status, this.serverMessage);
  }

  /** "the ConfigMap pods-x-config (422 Invalid): <what the API server said>", for action logs. */
  describe(): string {
    const code = [String(this.status), this.reason].filter(Boolean).join(" ");
    return `${this.object ? `the ${this.object}` : "the request"} (${code}): ${this.serverMessage || "no reason given"}`;
  }
}

/**
 * Which refusals are for good, so the agent puts the pod in ERROR instead of
 * retrying: the request or object is malformed or invalid (400, 413, 415,
 * 422), the namespace is missing (404 on apply; deletes treat 404 as done),
 * or the cluster forbids it (403: RBAC, admission, a namespace being
 * deleted) — except an exceeded ResourceQuota, which frees up as other pods
 * stop. Everything else is retried with backoff: conflicts (409, e.g. an
 * object still being deleted), throttling (429), server errors (5xx, which
 * is also how some apply problems come back) and timeouts.
 */
export function refusedForGood(status: number, serverMessage: string): boolean {
  if (status === 403) return !/exceeded quota/i.test(serverMessage);
  return [400, 404, 405, 413, 415, 422].includes(status);
}

export type ObjectKindName = "Pod" | "Service" | "Secret" | "ConfigMap";
/** The kinds a pod owns beside its Kubernetes pod. */
export type OwnedKindName = Exclude<ObjectKindName, "Pod">;


/** A Kubernetes API request got no answer within its deadline; worth retrying. */
export class KubernetesTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the Kubernetes API did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`);
    this.name = "KubernetesTimeoutError";
  }
}

/**
 * The small part of the Kubernetes API the driver uses, in one namespace,
 * with errors turned into KubernetesApiError. Objects are applied with
 * server-side apply under one field manager. Every request (apply, delete,
 * list, and the informer's listings) fails with KubernetesTimeoutError when
 * unanswered after `requestTimeoutMs`; watches, log follows and exec streams
 * are long-lived and keep their own handling.
 */
export class KubernetesApi {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly connections = new KeptAliveAgent();

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    private readonly fieldManager: string,
    private readonly requestTimeoutMs = 30_000,
    /** Told how long each request took, by verb and kind (for the agent's metrics). */
    private readonly observe: (verb: string, kind: string, seconds: number) => void = () => undefined,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig names no current cluster");
    // As KubeConfig.makeApiClient builds it, plus a deadline on every request.
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [
        {
          pre: async (context) => {
            context.setSignal(AbortSignal.timeout(requestTimeoutMs));
            const agent = this.connections.instead(context.getAgent());
            if (agent) context.setAgent(agent);
            return context;
          },
          post: async (response) => response,
        },
      ],
    });
    this.objects = new KubernetesObjectApi(configuration);
    this.core = new CoreV1Api(configuration);
  }

  /** Closes the connections kept open between requests. */
  close(): void {
    this.connections.destroy();
  }

  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    const about = `${object.kind} ${object.metadata?.name ?? ""}`;
    return this.translated(() => this.objects.patch(object, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply), about, ["apply", object.kind ?? "unknown"]);
  }

  /** Deletes an object; one that is already gone is not an error. */
  async delete(kind: ObjectKindName, name: string, gracePeriodSeconds?: number): Promise<void> {
    const request = { name, namespace: this.namespace, gracePeriodSeconds };
    try {
      await this.translated(async () => {
        switch (kind) {
          case "Pod":
            return this.core.deleteNamespacedPod(request);
          case "Service":
            return this.core.deleteNamespacedService(request);
          case "Secret":
            return this.core.deleteNamespacedSecret(request);
          case "ConfigMap":
            return this.core.deleteNamespacedConfigMap(request);
        }
      }, undefined, ["delete", kind]);
    } catch (error) {
      if (!(error instanceof KubernetesApiError && error.notFound)) throw error;
    }
  }

  /** The objects of one kind carrying `labelSelector`. */
  async list(kind: ObjectKindName, labelSelector: string): Promise<KubernetesObject[]> {
    const request = { namespace: this.namespace, labelSelector };
    return this.translated(async () => {
      switch (kind) {
        case "Pod":
          return (await this.core.listNamespacedPod(request)).items;
        case "Service":
          return (await this.core.listNamespacedService(request)).items;
        case "Secret":
          return (await this.core.listNamespacedSecret(request)).items;
        case "ConfigMap":
          return (await this.core.listNamespacedConfigMap(request)).items;
      }
    }, undefined, ["list", kind]);
  }

  /** An informer over the namespace's pods carrying `labelSelector`; it does not restart itself. */
  podInformer(labelSelector: string): Informer<V1Pod> & ObjectCache<V1Pod> {
    return makeInformer(
      this.kubeConfig,
      `/api/v1/namespaces/${this.namespace}/pods`,
      () => this.translated(() => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }), undefined, ["list", "Pod"]),
      labelSelector,
    );
  }

  /** An informer over the namespace's objects of `kind` carrying `labelSelector`; it does not restart itself. */
  objectInformer(kind: OwnedKindName, labelSelector: string): Informer<KubernetesObject> & ObjectCache<KubernetesObject> {
    const request = { namespace: this.namespace, labelSelector };
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      switch (kind) {
        case "Service":
          return this.core.listNamespacedService(request);
        case "Secret":
          return this.core.listNamespacedSecret(request);
        case "ConfigMap":
          return this.core.listNamespacedConfigMap(request);
      }
    };
    const path = { Service: "services", Secret: "secrets", ConfigMap: "configmaps" }[kind];
    return makeInformer(this.kubeConfig, `/api/v1/namespaces/${this.namespace}/${path}`, () => this.translated(list, undefined, ["list", kind]), labelSelector);
  }

  /**
   * An informer over the namespace's events (events carry no labels of the
   * pods they are about); it does not restart itself.
   */
  eventInformer(): Informer<CoreV1Event> & ObjectCache<CoreV1Event> {
    return makeInformer(this.kubeConfig, `/api/v1/namespaces/${this.namespace}/events`, () =>
      this.translated(() => this.core.listNamespacedEvent({ namespace: this.namespace }), undefined, ["list", "Event"]),
    );
  }

  private async translated<T>(call: () => Promise<T>, object?: string, timed?: [verb: string, kind: string]): Promise<T> {
    // Requests made for a traced change join its trace.
    if (timed && trace.getActiveSpan()) return inSpan(tracerOf("agent"), `kubernetes ${timed[0]} ${timed[1]}`, { kind: SpanKind.CLIENT }, () => this.timedCall(call, object, timed));
    return this.timedCall(call, object, timed);
  }

  private async timedCall<T>(call: () => Promise<T>, object: string | undefined, timed: [verb: string, kind: string] | undefined): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } catch (error) {
      if (error instanceof Error && error.name === "AbortError") throw new KubernetesTimeoutError(this.requestTimeoutMs);
      throw toApiError(error, object);
    } finally {
      if (timed) this.observe(timed[0], timed[1], (performance.now() - started) / 1000);
    }
  }

  /** Streams a container's output into `into` until it ends or `signal` aborts. */
  async followLogs(podName: string, container: string, into: Writable, options: { sinceTime?: string }, done: (error?: unknown) => void): Promise<AbortController> {
    return new Log(this.kubeConfig).log(this.namespace, podName, container, into, done, { follow: true, timestamps: true, ...options });
  }

  /** Starts `command` in a container interactively: stdin, output as it comes, a terminal when asked. */
  openSession(podName: string, container: string, command: SessionCommand): Promise<InteractiveCommand> {
    return openContainerSession(new Exec(this.kubeConfig), this.namespace, podName, container, command).catch((error: unknown) => Promise.reject(toApiError(error)));
  }

  /**
   * Runs a command in a container and resolves when it has finished (the
   * client's own promise resolves when the connection opens, not then).
   */
  exec(podName: string, container: string, command: string[], output: Writable, input: Readable | null, timeoutMs: number): Promise<ExecOutcome> {
    return new Promise<ExecOutcome>((resolve, reject) => {
      let socket: { close(): void } | undefined;
      const timer = setTimeout(() => {
        socket?.close();
        reject(new ExecTimeoutError(timeoutMs));
      }, timeoutMs);
      const finish = (status: V1Status) => {
        clearTimeout(timer);
        resolve(execOutcome(status));
      };
      const errors = new PassThrough();
      errors.pipe(output, { end: false });
      // The client sends stdin as fast as it is read, whatever the socket holds; this gate feeds it
      // only while the socket's send buffer is small, so a slow container slows the sender.
      const gate = input ? new PassThrough() : null;
      new Exec(this.kubeConfig)
        .exec(this.namespace, podName, container, command, output, errors, gate, false, finish)
        .then((ws) => {
          socket = ws;
          ws.on("close", () => {
            clearTimeout(timer);
            resolve({ exitCode: -1, failure: "the connection to the container closed before the command finished" });
          });
          if (input && gate) void feedStdin(input, gate, ws);
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(toApiError(error));
        });
    });
  }

  /**
   * Runs a command whose standard output goes to `stdout` at the pace it is
   * read: while `stdout` holds a buffer's worth, the connection to the API
   * server stops reading, which holds the command back. Destroying `stdout`
   * closes the connection, which ends the command. Standard error goes to
   * `stderr`. Resolves when the command has finished.
   */
  execStreaming(podName: string, container: string, command: string[], stdout: PassThrough, stderr: Writable, timeoutMs: number): Promise<ExecOutcome> {
    return new Promise<ExecOutcome>((resolve, reject) => {
      let socket: { close(): void; terminate?(): void; pause?(): void; resume?(): void } | undefined;
      let finished = false;
      const timer = setTimeout(() => {
        socket?.close();
        reject(new ExecTimeoutError(timeoutMs));
      }, timeoutMs);
      const relay = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (!stdout.write(chunk)) socket?.pause?.();
          callback();
        },
        final(callback) {
          stdout.end();
          callback();
        },
      });
      stdout.on("drain", () => socket?.resume?.());
      // The reader wants no more: cut the connection at once (a closing handshake can take the server 30 s).
      stdout.once("close", () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (socket?.terminate) socket.terminate();
        else socket?.close();
        resolve({ exitCode: -1, failure: "stopped: the reader took no more of the output" });
      });
      const finish = (status: V1Status) => {
        finished = true;
        clearTimeout(timer);
        resolve(execOutcome(status));
      };
      new Exec(this.kubeConfig)
        .exec(this.namespace, podName, container, command, relay, stderr, null, false, finish)
        .then((ws) => {
          socket = ws as unknown as typeof socket;
          ws.on("close", () => {
            clearTimeout(timer);
            if (!stdout.writableEnded) stdout.end();
            resolve({ exitCode: -1, failure: "the connection to the container closed before the command finished" });
          });
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(toApiError(error));
        });
    });
  }
}

export class ExecTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the command did not finish within ${Math.round(timeoutMs / 1000)} s`);
    this.name = "ExecTimeoutError";
  }
}

const stdinBufferBytes = 4 * 1024 * 1024;

async function feedStdin(input: Readable, gate: PassThrough, ws: { bufferedAmount: number; readyState: number }): Promise<void> {
  const open = 1;
  try {
    for await (const chunk of input) {
      while (ws.bufferedAmount > stdinBufferBytes && ws.readyState === open) await new Promise((resolve) => setTimeout(resolve, 5));
      if (ws.readyState !== open) break;
      gate.write(chunk);
    }
  } catch {
    // The upload was cancelled; ending stdin lets the command finish.
  }
  gate.end();
}


function toApiError(error: unknown, object?: string): unknown {
  if (!(error instanceof ApiException)) return error;
  let status: { message?: unknown; reason?: unknown } | undefined;
  try {
    status = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
  } catch {
    // not a Status: keep the code alone
  }
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  return new KubernetesApiError(error.code, text(status?.reason), text(status?.message), object);
}
