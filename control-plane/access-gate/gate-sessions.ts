import type { FieldCipher } from "../crypto/field-cipher.js";
import { EncryptedValueError } from "../crypto/field-cipher.js";

/** A visitor's session at one pod's gate: the token that opened it, until when (epoch seconds). */
export interface GateSession {
  tokenId: string;
  expiresAt: number;
}

/** Sessions last at most this long, and never longer than their token. */
export const maxSessionSeconds = 7 * 24 * 3600;

/**
 * The cookie of a pod's gate: upstream's name with the __Host- prefix, which
 * browsers keep to the host that set it (Secure, Path=/, no Domain), so a
 * sibling pod under the same domain cannot set one that shadows it.
 */
export function gateCookieName(podId: string): string {
  return `__Host-tapis_pod_gate_${podId}`;
}

/**
 * Seals gate sessions with the service's encryption keys (AES-256-GCM, see
 * FieldCipher), bound to their pod: a cookie opens only the gate it was
 * given for, its holder can neither read nor alter it, and it holds no
 * secret that could be redeemed again. Whether its token still lives is
 * checked on every request.
 */
export class GateSessions {
  constructor(private readonly cipher: FieldCipher) {}

  seal(tenantId: string, podId: string, session: GateSession): string {
    return this.cipher.encrypt(JSON.stringify({ k: session.tokenId, e: session.expiresAt }), place(tenantId, podId));
  }

  /** The session `value` holds for this pod, or null (not one, another pod's, expired at `nowSeconds`). */
  open(value: string, tenantId: string, podId: string, nowSeconds: number): GateSession | null {
    let payload: { k?: unknown; e?: unknown };
    try {
      payload = JSON.parse(this.cipher.decrypt(value, place(tenantId, podId))) as { k?: unknown; e?: unknown };
    } catch (error) {
      if (error instanceof EncryptedValueError || error instanceof SyntaxError) return null;
      throw error;
    }
    if (typeof payload.k !== "string" || typeof payload.e !== "number" || payload.e <= nowSeconds) return null;
    return { tokenId: payload.k, expiresAt: payload.e };
  }
}

function place(tenantId: string, podId: string) {
  return { table: "pod_access_gate", column: "session", row: [tenantId, podId] };
}
