import type { DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";

const objectIdPattern = /^[a-z][a-z0-9]{2,63}$/;
const claimNamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Why the agent will not mount what a pod asks for, or null. The control
 * plane refuses such pods already; the agent checks again before it creates
 * one, so neither a fault there nor a grant revoked since can hand a pod
 * another tenant's data: the storage claim holding every tenant's volumes is
 * never mounted as a claim, a pvc only when the cluster grants it to the
 * pod's tenant, and every source is an id, never a path.
 */
export function refusedMount(desired: DesiredPod, storageClaim: string | null): string | null {
  for (const [path, mount] of Object.entries(desired.volumeMounts)) {
    const at = `volume_mounts.${path}`;
    const sourceId = mount.sourceId ?? "";
    if (mount.subPath?.split("/").includes("..")) return `${at}: sub_path must not contain '..'`;
    switch (mount.type) {
      case "pvc":
        if (!claimNamePattern.test(sourceId)) return `${at}: '${sourceId}' is not a claim id`;
        if (sourceId === storageClaim) return `${at}: the service's storage claim '${sourceId}' is never mounted as a claim`;
        if (!desired.allowedClaims.includes(sourceId)) return `${at}: claim '${sourceId}' is not granted to tenant '${desired.tenantId}' on this cluster`;
        break;
      case "tapisvolume":
      case "tapissnapshot":
        if (!objectIdPattern.test(sourceId)) return `${at}: '${sourceId}' is not a ${mount.type === "tapisvolume" ? "volume" : "snapshot"} id`;
        break;
    }
  }
  return null;
}
