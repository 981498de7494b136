/** How a compute queue maps onto the cluster's nodes. */
export interface QueuePlacement {
  nodeSelector: Record<string, string>;
  tolerations: { key: string; operator: "Equal" | "Exists"; value?: string; effect?: string }[];
}

/** What the kubernetes driver needs to know about its cluster. */
export interface KubernetesClusterConfig {
  /** Namespace holding every object of every pod. */
  namespace: string;
  /** Compute queues by name; a queue missing here schedules anywhere. */
  queues: Record<string, QueuePlacement>;
  /**
   * The PersistentVolumeClaim that holds Tapis volumes and snapshots, as
   * folders volumes/<tenant>/<id> and snapshots/<tenant>/<id>.
   */
  storageClaim: string;
  /** Field manager of every server-side apply. */
  fieldManager: string;
  imagePullPolicy: "Always" | "IfNotPresent" | "Never";
}

/**
 * Parses "key=value:Effect", "key:Effect" or "key" into a toleration
 * (operator Equal when a value is given, else Exists).
 */
export function parseToleration(text: string): QueuePlacement["tolerations"][number] {
  const [keyValue, effect] = text.split(":") as [string, string | undefined];
  const [key, value] = keyValue.split("=") as [string, string | undefined];
  return { key, operator: value === undefined ? "Exists" : "Equal", ...(value !== undefined ? { value } : {}), ...(effect ? { effect } : {}) };
}
