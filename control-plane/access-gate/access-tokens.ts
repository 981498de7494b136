import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/caller.js";
import { NotFoundError, ProblemList } from "../errors/domain-errors.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import { accessTokenRepository, type GateAuditRepository } from "../storage/access-gate-repository.js";
import type { Database } from "../storage/database.js";
import type { GateAuditRow, PodAccessTokenRow } from "../storage/entities/access-gate-entities.js";
import { podRepository } from "../storage/pod-repository.js";
import { gatedSpecsOf, placed } from "./gated-entries.js";
import { hashPassword, linkHash, newLinkSecret } from "./gate-secrets.js";

export interface MintRequest {
  label: string;
  kind: string;
  password?: string;
  expiresInSeconds?: number;
  maxUses?: number;
}

/** A token just minted: its row, its secret (this once) and for a link the URL that redeems it. */
export interface MintedToken {
  row: PodAccessTokenRow;
  secret: string;
  redemptionUrl: string;
}

export interface AccessTokensDeps {
  db: Database;
  audit: GateAuditRepository;
  actionLog: ActionLogRepository;
  domainOf: (clusterId: string) => Promise<string>;
  now: () => number;
}

const maxLifetimeSeconds = 10 * 365 * 24 * 3600;
const maxAuditEntries = 1000;
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\x00-\x1f\x7f]/;

/**
 * The credentials of pods' access gates, as their users manage them: minted
 * (the secret shown once, stored only hashed), listed (never the secret),
 * revoked; each change audited and noted in the pod's action log (by label,
 * never with the secret).
 */
export class AccessTokens {
  constructor(private readonly deps: AccessTokensDeps) {}

  list(caller: Caller, podId: string): Promise<PodAccessTokenRow[]> {
    return this.deps.db.read((m) => accessTokenRepository.list(m, caller.tenantId, podId));
  }

  async mint(caller: Caller, podId: string, request: MintRequest): Promise<MintedToken> {
    const kind = request.kind || "link";
    checkMint({ ...request, kind });
    const secret = kind === "link" ? newLinkSecret() : request.password!;
    // A pod's passwords share one salt, so that a guess is hashed once (see hashPassword).
    const sharing = kind === "password" ? (await this.deps.db.read((m) => accessTokenRepository.passwords(m, caller.tenantId, podId)))[0]?.passwordHash : undefined;
    const now = this.deps.now();
    const row: PodAccessTokenRow = {
      id: randomUUID(),
      tenantId: caller.tenantId,
      podId,
      kind,
      label: request.label,
      secretHash: kind === "link" ? linkHash(caller.tenantId, podId, secret) : null,
      passwordHash: kind === "password" ? await hashPassword(secret, sharing ?? undefined) : null,
      createdBy: caller.username,
      createdAt: now,
      expiresAt: request.expiresInSeconds === undefined ? null : now + request.expiresInSeconds * 1000,
      maxUses: request.maxUses ?? null,
      uses: 0,
      revoked: false,
      lastUsedAt: null,
    };
    const specs = await this.deps.db.transaction(async (tx) => {
      const pod = await podRepository.findForUpdate(tx, caller.tenantId, podId);
      if (!pod) throw new NotFoundError("pod", podId);
      await accessTokenRepository.insert(tx, row);
      await this.deps.audit.add(tx, auditOf(row, now, "mint", caller.username, kind));
      await this.deps.actionLog.add(tx, caller.tenantId, podId, now, `Minted access-gate code '${shownLabel(row)}' (${kind}) by ${caller.username}`);
      return gatedSpecsOf(tx, pod);
    });
    // Only a link goes into a URL: a password in a link would travel where passwords should not.
    const entry = specs[0] && kind === "link" ? await placed(specs[0], this.deps.domainOf) : undefined;
    const redemptionUrl = entry ? `https://${entry.host}/v3/pods/${entry.podIdNet}/gate/redeem?access=${encodeURIComponent(secret)}` : "";
    return { row, secret, redemptionUrl };
  }

  /** Revokes the token for good; answers the pod's tokens. */
  async revoke(caller: Caller, podId: string, tokenId: string): Promise<PodAccessTokenRow[]> {
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const token = await accessTokenRepository.findForUpdate(tx, caller.tenantId, podId, tokenId);
      if (!token) throw new NotFoundError("access token", tokenId, `pod '${podId}'`);
      await accessTokenRepository.update(tx, token.id, { revoked: true });
      await this.deps.audit.add(tx, auditOf(token, now, "revoke", caller.username, ""));
      await this.deps.actionLog.add(tx, caller.tenantId, podId, now, `Revoked access-gate code '${shownLabel(token)}' by ${caller.username}`);
      return accessTokenRepository.list(tx, caller.tenantId, podId);
    });
  }

  async audit(caller: Caller, podId: string, limit = 100): Promise<GateAuditRow[]> {
    const problems = new ProblemList();
    if (!Number.isInteger(limit) || limit < 1 || limit > maxAuditEntries) problems.add("limit", `must be between 1 and ${maxAuditEntries}`);
    problems.throwIfAny();
    return this.deps.db.read((m) => this.deps.audit.list(m, caller.tenantId, podId, limit));
  }
}

function checkMint(request: MintRequest): void {
  const problems = new ProblemList();
  if (request.label.length > 100 || controlCharacters.test(request.label)) problems.add("label", "must be at most 100 characters, without control characters");
  if (request.kind !== "link" && request.kind !== "password") {
    problems.add("kind", "must be 'link' or 'password'");
  } else if (request.kind === "link" && request.password !== undefined) {
    problems.add("password", "is only accepted with kind 'password'; a link's secret is generated");
  } else if (request.kind === "password" && !request.password) {
    problems.add("password", "is required with kind 'password'");
  } else if (request.kind === "password" && (request.password!.length < 6 || request.password!.length > 1024)) {
    problems.add("password", "must be 6-1024 characters");
  }
  const lifetime = request.expiresInSeconds;
  if (lifetime !== undefined && (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > maxLifetimeSeconds)) problems.add("expires_in_seconds", `must be between 1 and ${maxLifetimeSeconds}`);
  if (request.maxUses !== undefined && (!Number.isInteger(request.maxUses) || request.maxUses < 1)) problems.add("max_uses", "must be at least 1");
  problems.throwIfAny();
}

/** How a token is named in logs and to the pod: its label, else the start of its id. */
export function shownLabel(token: Pick<PodAccessTokenRow, "label" | "id">): string {
  return token.label || token.id.slice(0, 8);
}

export function auditOf(token: PodAccessTokenRow, at: number, action: string, actor: string, detail: string): GateAuditRow {
  return { tenantId: token.tenantId, podId: token.podId, at, action, tokenId: token.id, label: token.label, actor, detail };
}
