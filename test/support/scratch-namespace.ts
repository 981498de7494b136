import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

/** A namespace of its own in a test cluster, for one suite or benchmark run. */
export interface ScratchNamespace {
  name: string;
  core: CoreV1Api;
  /** Deletes the namespace and everything in it; one already gone is fine. */
  remove(): Promise<void>;
}

/** Creates `<prefix>-<random>`, labelled with `labels`, in the cluster that `kubeconfig` names. */
export async function createScratchNamespace(kubeconfig: string, prefix: string, labels?: Record<string, string>): Promise<ScratchNamespace> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name, labels } } });
  return {
    name,
    core,
    remove: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}
