import type { DesiredPod } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { refusedMount } from "./mount-policy.js";

/**
 * Why the agent will not start a pod, or null: the control plane could not
 * give it what it needs (start_refusal), or it asks to mount what it may not
 * (see refusedMount).
 */
export function refusedStart(desired: DesiredPod, storageClaim: string | null): string | null {
  return desired.startRefusal || refusedMount(desired, storageClaim);
}
