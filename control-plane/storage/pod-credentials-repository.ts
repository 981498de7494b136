import type { EntityManager } from "typeorm";
import { isEncryptedValue, type FieldCipher } from "../crypto/field-cipher.js";
import { credentialPlace, type EncryptedCredentialColumn } from "./credential-encryption.js";
import { PodCredentialsEntity, type PodCredentialsRow } from "./entities/pod-credentials-entity.js";
import { PreparedRead } from "./prepared-reads.js";
import { PreparedInsert } from "./prepared-writes.js";

const credentialsInsert = new PreparedInsert(PodCredentialsEntity);
const credentialsOfPod = new PreparedRead(PodCredentialsEntity, (q, columns) => `SELECT ${columns} FROM ${q("pod_credentials")} WHERE ${q("tenant_id")} = ? AND ${q("pod_id")} = ?`);

/**
 * Pod credentials, encrypted in the database and plaintext to callers. The
 * passwords are sealed to their pod's row (see FieldCipher).
 */
export class PodCredentialsRepository {
  constructor(private readonly cipher: FieldCipher) {}

  async insert(m: EntityManager, credentials: PodCredentialsRow): Promise<void> {
    const { tenantId, podId } = credentials;
    await credentialsInsert.insert(m, [
      {
        ...credentials,
        userPassword: this.cipher.encrypt(credentials.userPassword, credentialPlace("user_password", tenantId, podId)),
        servicePassword: this.cipher.encrypt(credentials.servicePassword, credentialPlace("service_password", tenantId, podId)),
      },
    ]);
  }

  /** The pod's credentials in plaintext; throws EncryptedValueError when a stored one cannot be decrypted. */
  async find(m: EntityManager, tenantId: string, podId: string): Promise<PodCredentialsRow | null> {
    const row = await credentialsOfPod.one(m, [tenantId, podId]);
    if (!row) return null;
    return {
      ...row,
      userPassword: this.reveal(row.userPassword, "user_password", tenantId, podId),
      servicePassword: this.reveal(row.servicePassword, "service_password", tenantId, podId),
    };
  }

  /**
   * A value still in plaintext is returned as it is: only a replica of an
   * older version writes one (during a rolling upgrade), refusing it would
   * break that pod without protecting anything, and the next start of any
   * replica encrypts it (rewriteCredentialsUnderCurrentKey).
   */
  private reveal(stored: string, column: EncryptedCredentialColumn, tenantId: string, podId: string): string {
    return isEncryptedValue(stored) ? this.cipher.decrypt(stored, credentialPlace(column, tenantId, podId)) : stored;
  }
}
