import { In, type EntityManager, type QueryDeepPartialEntity } from "typeorm";
import type { FieldCipher } from "../crypto/field-cipher.js";
import { PermissionEntity } from "./entities/permission-entity.js";
import { PodSecretValueEntity, SecretEntity, type SecretRow } from "./entities/secret-entity.js";
import { podSecretValuePlace, secretValuePlace } from "./secret-encryption.js";

/** A secret's metadata: everything but its value. */
export type SecretMetadata = Omit<SecretRow, "secretValue">;

/**
 * Secrets and the values generated for pods' secret maps. Values are
 * encrypted in the table, sealed to their row (see FieldCipher); they leave
 * this repository in plaintext only through `value` and `podValues`.
 */
export class SecretRepository {
  constructor(private readonly cipher: FieldCipher) {}

  async insert(m: EntityManager, row: SecretRow): Promise<void> {
    await m.insert(SecretEntity, { ...row, secretValue: this.cipher.encrypt(row.secretValue, secretValuePlace(row.tenantId, row.secretId)) });
  }

  async find(m: EntityManager, tenantId: string, secretId: string): Promise<SecretMetadata | null> {
    const row = await m.findOne(SecretEntity, { where: { tenantId, secretId } });
    return row ? withoutValue(row) : null;
  }

  /** Holds the secret's row until commit on MySQL (SQLite runs one writer at a time). */
  async findForUpdate(tx: EntityManager, tenantId: string, secretId: string): Promise<SecretMetadata | null> {
    if (tx.connection.options.type === "better-sqlite3") return this.find(tx, tenantId, secretId);
    const row = await tx.findOne(SecretEntity, { where: { tenantId, secretId }, lock: { mode: "pessimistic_write" } });
    return row ? withoutValue(row) : null;
  }

  /** Secrets of the tenant on which `username` holds a grant, or all of them when `username` is null. */
  async listVisibleTo(m: EntityManager, tenantId: string, username: string | null): Promise<SecretMetadata[]> {
    let where: { tenantId: string; secretId?: ReturnType<typeof In> } = { tenantId };
    if (username !== null) {
      const grants = await m.find(PermissionEntity, { where: { tenantId, objectKind: "secret", username }, select: { objectId: true } });
      if (grants.length === 0) return [];
      where = { tenantId, secretId: In(grants.map((g) => g.objectId)) };
    }
    return (await m.find(SecretEntity, { where, order: { secretId: "ASC" } })).map(withoutValue);
  }

  /** The plaintext value; throws EncryptedValueError when the stored one cannot be decrypted. */
  async value(m: EntityManager, tenantId: string, secretId: string): Promise<string | null> {
    const row = await m.findOne(SecretEntity, { where: { tenantId, secretId }, select: { secretValue: true } });
    return row ? this.cipher.decrypt(row.secretValue, secretValuePlace(tenantId, secretId)) : null;
  }

  async update(m: EntityManager, tenantId: string, secretId: string, changes: Partial<SecretRow>): Promise<void> {
    const stored = changes.secretValue === undefined ? changes : { ...changes, secretValue: this.cipher.encrypt(changes.secretValue, secretValuePlace(tenantId, secretId)) };
    await m.update(SecretEntity, { tenantId, secretId }, stored as QueryDeepPartialEntity<SecretRow>);
  }

  /** Removes the secret and every grant on it. */
  async delete(m: EntityManager, tenantId: string, secretId: string): Promise<void> {
    await m.delete(SecretEntity, { tenantId, secretId });
    await m.delete(PermissionEntity, { tenantId, objectKind: "secret", objectId: secretId });
  }

  /** Removes the secrets scoped to a pod, with their grants. */
  async deletePodScoped(m: EntityManager, tenantId: string, podId: string): Promise<void> {
    const scoped = await m.find(SecretEntity, { where: { tenantId, scope: "pod", podId }, select: { secretId: true } });
    for (const secret of scoped) await this.delete(m, tenantId, secret.secretId);
  }

  /** The values generated for a pod's secret map, by key, in plaintext. */
  async podValues(m: EntityManager, tenantId: string, podId: string): Promise<Record<string, string>> {
    const rows = await m.find(PodSecretValueEntity, { where: { tenantId, podId } });
    return Object.fromEntries(rows.map((row) => [row.secretKey, this.cipher.decrypt(row.secretValue, podSecretValuePlace(tenantId, podId, row.secretKey))]));
  }

  async setPodValue(m: EntityManager, tenantId: string, podId: string, key: string, value: string): Promise<void> {
    const secretValue = this.cipher.encrypt(value, podSecretValuePlace(tenantId, podId, key));
    await m.upsert(PodSecretValueEntity, { tenantId, podId, secretKey: key, secretValue }, ["tenantId", "podId", "secretKey"]);
  }

  async deletePodValues(m: EntityManager, tenantId: string, podId: string): Promise<void> {
    await m.delete(PodSecretValueEntity, { tenantId, podId });
  }
}

function withoutValue(row: SecretRow): SecretMetadata {
  const { secretValue: _value, ...metadata } = row;
  return metadata;
}
