import { EntitySchema } from "typeorm";
import { epochMillis, flag, longText, shortText } from "./column-types.js";

/**
 * A user's secret. In the table `secretValue` is encrypted (bound to the
 * tenant and secret id); SecretRepository hands it out in plaintext only
 * through `value`.
 */
export interface SecretRow {
  tenantId: string;
  secretId: string;
  /** "user" or "pod". */
  scope: string;
  podId: string | null;
  description: string;
  readable: boolean;
  writable: boolean;
  skSecretName: string;
  secretValue: string;
  addedBy: string;
  creationTs: number;
  updateTs: number;
}

export const SecretEntity = new EntitySchema<SecretRow>({
  name: "Secret",
  tableName: "secrets",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    secretId: { ...shortText(100), primary: true, name: "secret_id" },
    scope: shortText(8),
    podId: { ...shortText(64, true), name: "pod_id" },
    description: shortText(2048),
    readable: flag(),
    writable: flag(),
    skSecretName: { ...shortText(320), name: "sk_secret_name" },
    secretValue: { ...longText(), name: "secret_value" },
    addedBy: { ...shortText(128), name: "added_by" },
    creationTs: { ...epochMillis(), name: "creation_ts" },
    updateTs: { ...epochMillis(), name: "update_ts" },
  },
});

/** A value the service generated for a pod's secret_map key (${pods:random:N}), encrypted. */
export interface PodSecretValueRow {
  tenantId: string;
  podId: string;
  secretKey: string;
  secretValue: string;
}

export const PodSecretValueEntity = new EntitySchema<PodSecretValueRow>({
  name: "PodSecretValue",
  tableName: "pod_secret_values",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    podId: { ...shortText(64), primary: true, name: "pod_id" },
    secretKey: { ...shortText(128), primary: true, name: "secret_key" },
    secretValue: { ...longText(), name: "secret_value" },
  },
});
