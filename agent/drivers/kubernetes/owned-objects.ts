import type { Informer, KubernetesObject, ObjectCache } from "@kubernetes/client-node";
import type { Logger } from "../../../shared/logging/logger.js";
import type { PodKey } from "../cluster-driver.js";
import type { KubernetesApi, OwnedKindName } from "./kubernetes-api.js";
import { keyOfObject } from "./pod-objects.js";
import { PodWatch, type WatchRetry } from "./pod-watch.js";

export const ownedKinds: OwnedKindName[] = ["Secret", "ConfigMap", "Service"];

export interface OwnedObjectsListener {
  /** A watch went down (`problem`) or is back (null). */
  health(part: string, problem: string | null): void;
  /** An object was added or changed, or is gone. */
  changed(kind: OwnedKindName, object: KubernetesObject, gone: boolean): void;
  /** A watch is back after being down: anything may have changed meanwhile. */
  recovered(): void;
}

/**
 * The Secrets, ConfigMaps and Services the agent manages, as watches keep
 * them (one list, then a watch per kind), so that a sync reads what the
 * cluster holds without asking the API server each time. While a kind's
 * watch is down its cache may be stale, and nothing is answered from it.
 */
export class OwnedObjects {
  private readonly caches = new Map<OwnedKindName, { informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>; watch: PodWatch }>();

  constructor(
    private readonly api: KubernetesApi,
    private readonly labelSelector: string,
    private readonly retry: WatchRetry,
    private readonly listener: OwnedObjectsListener,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await Promise.all(ownedKinds.map((kind) => this.watch(kind)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.caches.values()].map(({ watch }) => watch.stop()));
  }

  /** Whether `kind` is answered from the cache now. */
  current(kind: OwnedKindName): boolean {
    return this.caches.get(kind)?.watch.up ?? false;
  }

  /** The object of `kind` named `name`; undefined when there is none, or when the cache is not current. */
  held(kind: OwnedKindName, name: string): KubernetesObject | undefined {
    if (!this.current(kind)) return undefined;
    return this.caches.get(kind)!.informer.get(name, this.api.namespace);
  }

  /** The objects of `kind` that belong to the pod `key`, or null when the cache is not current. */
  ofPod(kind: OwnedKindName, key: PodKey): KubernetesObject[] | null {
    if (!this.current(kind)) return null;
    return this.caches.get(kind)!.informer.list().filter((object) => {
      const owner = keyOfObject(object);
      return owner !== null && owner.tenantId === key.tenantId && owner.podId === key.podId;
    });
  }

  private async watch(kind: OwnedKindName): Promise<void> {
    const informer = this.api.objectInformer(kind, this.labelSelector);
    informer.on("add", (object) => this.listener.changed(kind, object, false));
    informer.on("update", (object) => this.listener.changed(kind, object, false));
    informer.on("delete", (object) => this.listener.changed(kind, object, true));
    const part = `kubernetes ${kind.toLowerCase()} watch`;
    const watch = new PodWatch(
      informer,
      this.retry,
      {
        down: (problem) => this.listener.health(part, problem),
        recovered: () => {
          this.listener.health(part, null);
          this.listener.recovered();
        },
      },
      this.logger,
      part,
    );
    this.caches.set(kind, { informer, watch });
    await watch.start();
  }
}
