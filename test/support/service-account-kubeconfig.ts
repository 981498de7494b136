import { writeFile } from "node:fs/promises";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

/**
 * Writes to `file` (mode 0600) a kubeconfig for the cluster of
 * `adminKubeconfig` whose only credential is a token of ServiceAccount
 * `serviceAccount` in `namespace`, obtained through the TokenRequest API:
 * whoever uses it can do what that account's RBAC bindings allow, nothing more.
 */
export async function writeServiceAccountKubeconfig(adminKubeconfig: string, namespace: string, serviceAccount: string, file: string): Promise<void> {
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`${adminKubeconfig} names no current cluster`);
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ServiceAccount ${namespace}/${serviceAccount}`);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: serviceAccount, token }],
    contexts: [{ name: serviceAccount, cluster: cluster.name, user: serviceAccount, namespace }],
    currentContext: serviceAccount,
  });
  await writeFile(file, kubeConfig.exportConfig(), { mode: 0o600 });
}
