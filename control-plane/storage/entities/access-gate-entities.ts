import { EntitySchema } from "typeorm";
import { epochMillis, flag, integer, longText, shortText } from "./column-types.js";

/**
 * A credential of a pod's access gate. Its secret is never stored: a link's
 * as the SHA-256 of the pod-bound secret (high entropy, so a fast hash
 * suffices and lookups stay cheap), a password as a salted scrypt hash.
 */
export interface PodAccessTokenRow {
  id: string;
  tenantId: string;
  podId: string;
  /** "link" or "password". */
  kind: string;
  label: string;
  /** Links: hex SHA-256 of "<tenant>/<pod>:<secret>"; null for passwords. */
  secretHash: string | null;
  /** Passwords: "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>"; null for links. */
  passwordHash: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
  lastUsedAt: number | null;
}

export const PodAccessTokenEntity = new EntitySchema<PodAccessTokenRow>({
  name: "PodAccessToken",
  tableName: "pod_access_tokens",
  columns: {
    id: { ...shortText(36), primary: true },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    kind: shortText(16),
    label: shortText(100),
    secretHash: { ...shortText(64, true), name: "secret_hash" },
    passwordHash: { ...shortText(200, true), name: "password_hash" },
    createdBy: { ...shortText(128), name: "created_by" },
    createdAt: { ...epochMillis(), name: "created_at" },
    expiresAt: { ...epochMillis(true), name: "expires_at" },
    maxUses: { type: "int", nullable: true, name: "max_uses" },
    uses: integer(),
    revoked: flag(),
    lastUsedAt: { ...epochMillis(true), name: "last_used_at" },
  },
});

/** A failed redemption, counted against its client address for a while. */
export interface GateAttemptRow {
  id?: number;
  tenantId: string;
  podId: string;
  clientAddress: string;
  at: number;
}

export const GateAttemptEntity = new EntitySchema<GateAttemptRow>({
  name: "GateAttempt",
  tableName: "pod_gate_attempts",
  columns: {
    id: { type: "integer", primary: true, generated: "increment" },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    clientAddress: { ...shortText(64), name: "client_address" },
    at: epochMillis(),
  },
});

/** One thing that happened at a pod's gate. */
export interface GateAuditRow {
  id?: number;
  tenantId: string;
  podId: string;
  at: number;
  /** "mint", "revoke", "redeem", "refused" or "locked". */
  action: string;
  tokenId: string;
  label: string;
  /** The user who minted or revoked, or the client address that redeemed. */
  actor: string;
  detail: string;
}

export const GateAuditEntity = new EntitySchema<GateAuditRow>({
  name: "GateAudit",
  tableName: "pod_gate_audit",
  columns: {
    id: { type: "integer", primary: true, generated: "increment" },
    tenantId: { ...shortText(64), name: "tenant_id" },
    podId: { ...shortText(64), name: "pod_id" },
    at: epochMillis(),
    action: shortText(16),
    tokenId: { ...shortText(36), name: "token_id" },
    label: shortText(100),
    actor: shortText(128),
    detail: longText(),
  },
});
