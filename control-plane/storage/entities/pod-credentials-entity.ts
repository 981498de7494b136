import { EntitySchema } from "typeorm";
import { shortText } from "./column-types.js";

/**
 * Credentials generated for a pod; read only by the credentials call and the
 * agent. In the table the passwords are encrypted; PodCredentialsRepository
 * hands them out in plaintext.
 */
export interface PodCredentialsRow {
  tenantId: string;
  podId: string;
  userUsername: string;
  userPassword: string;
  serviceUsername: string;
  servicePassword: string;
}

export const PodCredentialsEntity = new EntitySchema<PodCredentialsRow>({
  name: "PodCredentials",
  tableName: "pod_credentials",
  columns: {
    tenantId: { ...shortText(64), primary: true, name: "tenant_id" },
    podId: { ...shortText(64), primary: true, name: "pod_id" },
    userUsername: { ...shortText(128), name: "user_username" },
    userPassword: { ...shortText(512), name: "user_password" },
    serviceUsername: { ...shortText(128), name: "service_username" },
    servicePassword: { ...shortText(512), name: "service_password" },
  },
});
