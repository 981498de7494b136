import type { FieldPlace } from "../crypto/field-cipher.js";
import { placeOf, type EncryptedTable } from "./encrypted-columns.js";

/** Users' secret values, bound to their tenant and secret id. */
export const secretValuesTable: EncryptedTable = { table: "secrets", keyColumns: ["tenant_id", "secret_id"], columns: ["secret_value"] };

/** Values the service generated for a pod's secret_map (${pods:random:N}), bound to the pod and key. */
export const podSecretValuesTable: EncryptedTable = { table: "pod_secret_values", keyColumns: ["tenant_id", "pod_id", "secret_key"], columns: ["secret_value"] };

export function secretValuePlace(tenantId: string, secretId: string): FieldPlace {
  return placeOf(secretValuesTable, "secret_value", [tenantId, secretId]);
}

export function podSecretValuePlace(tenantId: string, podId: string, key: string): FieldPlace {
  return placeOf(podSecretValuesTable, "secret_value", [tenantId, podId, key]);
}
