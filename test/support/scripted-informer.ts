import type { V1Pod } from "@kubernetes/client-node";

export type InformerStep = "ok" | "error" | "reject";

/**
 * A stand-in for the client's informer: each start does the next scripted
 * step — succeeds, reports a failure through its error event (a failed
 * listing or watch), or rejects (credentials that cannot be loaded).
 */
export class ScriptedInformer {
  starts = 0;
  readonly script: InformerStep[] = [];
  pods: V1Pod[] = [];
  private readonly handlers = new Map<string, ((value: unknown) => void)[]>();

  on(event: string, handler: (value: unknown) => void): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
  }

  async start(): Promise<void> {
    this.starts++;
    const step = this.script.shift() ?? "ok";
    if (step === "error") this.emit("error", new Error(`connect ECONNREFUSED (start ${this.starts})`));
    if (step === "reject") throw new Error(`cannot load the kubeconfig's credentials (start ${this.starts})`);
  }

  async stop(): Promise<void> {}

  list(): V1Pod[] {
    return this.pods;
  }

  get(name: string): V1Pod | undefined {
    return this.pods.find((pod) => pod.metadata?.name === name);
  }

  emit(event: string, value: unknown): void {
    for (const handler of this.handlers.get(event) ?? []) handler(value);
  }
}
