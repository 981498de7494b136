import { request, type RequestOptions } from "node:https";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";

/** The collection path of each kind deploy/ declares; another kind is refused. */
const collections: Record<string, { group: string; plural: string }> = {
  ConfigMap: { group: "api/v1", plural: "configmaps" },
  Pod: { group: "api/v1", plural: "pods" },
  Service: { group: "api/v1", plural: "services" },
  ServiceAccount: { group: "api/v1", plural: "serviceaccounts" },
  Deployment: { group: "apis/apps/v1", plural: "deployments" },
  PodDisruptionBudget: { group: "apis/policy/v1", plural: "poddisruptionbudgets" },
  Role: { group: "apis/rbac.authorization.k8s.io/v1", plural: "roles" },
  RoleBinding: { group: "apis/rbac.authorization.k8s.io/v1", plural: "rolebindings" },
};

/**
 * Sends `object` to the API server exactly as written (the client's typed
 * models would drop fields they do not know) with field validation Strict,
 * so an unknown or duplicated field is refused rather than dropped; with
 * `dryRun` nothing is stored. Resolves to null when the server accepts it,
 * else to "<Kind>/<name>: <status> <message>".
 */
export async function createStrictly(kubeConfig: KubeConfig, object: KubernetesObject, dryRun: boolean): Promise<string | null> {
  const collection = collections[object.kind ?? ""];
  if (!collection) throw new Error(`no collection path known for kind ${object.kind}`);
  const namespace = object.metadata?.namespace;
  if (!namespace) throw new Error(`${object.kind}/${object.metadata?.name} has no namespace`);
  const server = new URL(kubeConfig.getCurrentCluster()!.server);
  const query = `fieldValidation=Strict${dryRun ? "&dryRun=All" : ""}`;
  const options: RequestOptions = {
    method: "POST",
    hostname: server.hostname,
    port: server.port,
    path: `/${collection.group}/namespaces/${namespace}/${collection.plural}?${query}`,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const call = request(options, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on("error", reject);
    });
    call.on("error", reject);
    call.end(JSON.stringify(object));
  });
  if (status === 201 || status === 200) return null;
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // not a Status: keep the text
  }
  return `${object.kind}/${object.metadata?.name}: ${status} ${message}`;
}
