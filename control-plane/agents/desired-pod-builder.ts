import { podDefaults, resourcesWithDefaults, type PodFields, type PodRecord } from "../pods/pod-model.js";
import { runSecondsOf } from "../pods/pod-lifecycle.js";
import { fillCredentialPlaceholders } from "../pods/credential-placeholders.js";
import { fillReferences, referencedKeys } from "../secrets/secret-placeholders.js";
import type { PodCredentialsRow } from "../storage/entities/pod-credentials-entity.js";
import { podObjectName } from "../../shared/kubernetes/kubernetes-names.js";

/** Desired state handed to an agent, in domain form (the RPC layer converts it). */
export interface DesiredPodSpec {
  tenantId: string;
  siteId: string;
  podId: string;
  uid: string;
  generation: number;
  statusRequested: PodRecord["statusRequested"];
  objectName: string;
  image: string;
  command: string[];
  arguments: string[];
  environment: Record<string, string>;
  secretEnvironment: Record<string, string>;
  /** Mount contents that hold secret values, by mount path (their mounts in `fields` carry no content). */
  secretFiles?: Record<string, string>;
  /** Why the pod cannot start (a secret it uses is gone); unset or "" when it can. */
  startRefusal?: string;
  fields: PodFields;
  computeQueue: string;
  timeToStopSeconds: number;
  /** The compute queue's node selector and tolerations, as registered with the cluster. */
  placement: { nodeSelector: Record<string, string>; tolerations: string[] };
  /** The claims the cluster grants to the pod's tenant. */
  allowedClaims: string[];
}

/**
 * Name of a pod's objects: pods-<site>-<tenant>-<pod_id>, or, when that is
 * no valid Service name, a cut of it ending with a hash of the ids (see
 * podObjectName).
 */
export function objectNameOf(siteId: string, tenantId: string, podId: string): string {
  return podObjectName(siteId, tenantId, podId);
}

/**
 * The desired state of a pod from its record and effective definition.
 * Environment values that receive credentials or secret_map values go to
 * `secretEnvironment`, and mount contents that receive secret_map values to
 * `secretFiles`, so agents keep them in a Secret instead of the container
 * spec or a ConfigMap. `secrets` holds the secret_map's values, or why the
 * pod cannot have them.
 */
export function buildDesiredPod(
  pod: PodRecord,
  effective: PodFields,
  credentials: PodCredentialsRow,
  secrets: { values: Record<string, string> } | { refusal: string } = { values: {} },
): DesiredPodSpec {
  const values = "values" in secrets ? secrets.values : {};
  const environment: Record<string, string> = {};
  const secretEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(effective.environment_variables ?? {})) {
    const withCredentials = fillCredentialPlaceholders(value, credentials);
    const filled = fillReferences(withCredentials ?? value, values);
    if (withCredentials === null && referencedKeys(value).length === 0) environment[name] = value;
    else secretEnvironment[name] = filled;
  }
  const secretFiles: Record<string, string> = {};
  const mounts: PodFields["volume_mounts"] = {};
  for (const [path, mount] of Object.entries(effective.volume_mounts ?? {})) {
    if (mount?.config_content !== undefined && referencedKeys(mount.config_content).length > 0) {
      secretFiles[path] = fillReferences(mount.config_content, values);
      const { config_content: _content, ...rest } = mount;
      mounts[path] = rest;
    } else {
      mounts[path] = mount;
    }
  }
  return {
    tenantId: pod.tenantId,
    siteId: pod.siteId,
    podId: pod.podId,
    uid: pod.uid,
    generation: pod.generation,
    statusRequested: pod.statusRequested,
    objectName: objectNameOf(pod.siteId, pod.tenantId, pod.podId),
    image: effective.image ?? "",
    command: effective.command ?? [],
    arguments: effective.arguments ?? [],
    environment,
    secretEnvironment,
    secretFiles,
    startRefusal: "refusal" in secrets ? secrets.refusal : "",
    fields: { ...effective, volume_mounts: mounts, resources: resourcesWithDefaults(effective.resources), networking: effective.networking ?? podDefaults.networking },
    computeQueue: effective.compute_queue ?? podDefaults.computeQueue,
    timeToStopSeconds: runSecondsOf(effective),
    placement: { nodeSelector: {}, tolerations: [] },
    allowedClaims: [],
  };
}
