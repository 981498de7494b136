import { formatFields, formatTable } from "./table.js";

/** The fields of a pod the CLI shows; the service sends more (see `-o json`). */
export interface PodView {
  pod_id: string;
  status?: string;
  status_requested?: string;
  image?: string;
  template?: string;
  description?: string;
  compute_queue?: string;
  networking?: Record<string, { protocol?: string; port?: number; url?: string }>;
  resources?: { cpu_request?: number; cpu_limit?: number; mem_request?: number; mem_limit?: number; gpus?: number };
  time_to_stop_ts?: string | null;
  creation_ts?: string;
  start_instance_ts?: string | null;
}

/** One row per pod: what `pods ls` shows. */
export function podsTable(pods: PodView[]): string {
  return formatTable(
    ["POD_ID", "STATUS", "REQUESTED", "IMAGE", "URL", "CREATED"],
    pods.map((pod) => [pod.pod_id, pod.status ?? "", pod.status_requested ?? "", pod.image ?? "", mainUrl(pod), pod.creation_ts ?? ""]),
  );
}

/** One pod, field by field: what `pods get` shows. */
export function podDetails(pod: PodView): string {
  const r = pod.resources;
  return formatFields([
    ["pod_id", pod.pod_id],
    ["status", pod.status],
    ["status_requested", pod.status_requested],
    ["image", pod.image],
    ["template", pod.template],
    ["description", pod.description],
    ["compute_queue", pod.compute_queue],
    ...Object.entries(pod.networking ?? {}).map(([key, n]): [string, string] => [`url ${key}`, `${n.url ?? ""} (${n.protocol ?? "http"}, port ${n.port ?? ""})`]),
    ["resources", r ? `cpu ${r.cpu_request ?? "?"}-${r.cpu_limit ?? "?"} millicpu, memory ${r.mem_request ?? "?"}-${r.mem_limit ?? "?"} MiB, gpus ${r.gpus ?? 0}` : undefined],
    ["created", pod.creation_ts],
    ["started", pod.start_instance_ts ?? undefined],
    ["stops at", pod.time_to_stop_ts ?? undefined],
  ]);
}

/** A line saying where a pod stands, after a lifecycle request. */
export function podStatusLine(pod: PodView): string {
  return `pod ${pod.pod_id}: status ${pod.status ?? "?"}, requested ${pod.status_requested ?? "?"}`;
}

function mainUrl(pod: PodView): string {
  const networking = pod.networking ?? {};
  return (networking.default ?? Object.values(networking)[0])?.url ?? "";
}
