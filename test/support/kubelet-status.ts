import type { CoreV1Api, V1ContainerStatus } from "@kubernetes/client-node";

/**
 * Writes a pod's container status as the kubelet would: ready or not (with
 * the Ready and ContainersReady conditions), started, and `more`. kwok
 * reports every container ready at once and runs no probe, so tests of
 * readiness and probes write what a kubelet would have seen.
 */
export async function setContainerStatus(core: CoreV1Api, namespace: string, name: string, ready: boolean, more: Partial<V1ContainerStatus> = {}): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const pod = await core.readNamespacedPod({ name, namespace });
    const now = new Date();
    const containerStatuses = pod.status!.containerStatuses!.map((c) => ({ ...c, ready, started: true, ...more }));
    const conditions = (pod.status!.conditions ?? []).map((c) => (["Ready", "ContainersReady"].includes(c.type) ? { ...c, status: ready ? "True" : "False", lastTransitionTime: now } : c));
    try {
      await core.replaceNamespacedPodStatus({ name, namespace, body: { ...pod, status: { ...pod.status, containerStatuses, conditions } } });
      return;
    } catch (error) {
      // Another writer (kwok) changed the pod meanwhile: read it again.
      if (attempt >= 5 || (error as { code?: number }).code !== 409) throw error;
    }
  }
}
