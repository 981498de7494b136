import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { PodAccessGateService } from "../../gen/tapis/pods/v1/pod_access_gate_service_pb.js";
import { httpHeaderMetadata, metadataNames } from "../../shared/rpc/metadata.js";
import { callerOf } from "../auth/caller-of.js";
import { PermissionDeniedError } from "../errors/domain-errors.js";
import { envelopeAnswer, htmlAnswer, redirectAnswer } from "../server/http-answer.js";
import type { GateAuditRow, PodAccessTokenRow } from "../storage/entities/access-gate-entities.js";
import { gateCodeHeader } from "../edge/edge-routes.js";
import type { AccessGate, GateVerdict } from "./access-gate.js";
import type { AccessTokens } from "./access-tokens.js";
import { gatePage } from "./gate-page.js";

/**
 * PodAccessGateService over RPC: the gate and its redemptions read what the
 * proxy passed on from the metadata the gateway filled (the HttpExchange
 * option) and answer with the HTTP answer the proxy or browser acts on; the
 * tokens' management translates messages for AccessTokens.
 */
export function accessGateRpc(gate: AccessGate, tokens: AccessTokens): ServiceImpl<typeof PodAccessGateService> {
  return {
    async podAccessGate(req, ctx) {
      const header = (name: string) => ctx.requestHeader.get(httpHeaderMetadata(name)) ?? undefined;
      const verdict = await gate.check(req.podIdNet, req.tenantId, {
        cookie: header("cookie"),
        host: header("x-forwarded-host"),
        uri: header("x-forwarded-uri"),
        redirectStatus: header("x-pods-redirect-status"),
      });
      return answerOf(verdict);
    },
    async podAccessGateRedeemLink(req, ctx) {
      return answerOf(await gate.redeem({ podIdNet: req.podIdNet, tenantId: req.tenantId, host: forwardedHost(ctx), secret: req.access, clientAddress: clientAddressOf(ctx) }));
    },
    async podAccessGateRedeemForm(req, ctx) {
      refuseCrossSite(ctx);
      const form = req.form;
      return answerOf(
        await gate.redeem({ podIdNet: req.podIdNet, tenantId: req.tenantId, host: forwardedHost(ctx), secret: form?.secret ?? "", returnPath: form?.returnPath, clientAddress: clientAddressOf(ctx) }),
      );
    },
    async listPodAccessTokens(req, ctx) {
      return { message: "Pod access tokens retrieved successfully.", result: (await tokens.list(callerOf(ctx), req.podId)).map(tokenToProto) };
    },
    async createPodAccessToken(req, ctx) {
      const minted = await tokens.mint(callerOf(ctx), req.podId, {
        label: req.label,
        kind: req.kind,
        password: req.password,
        expiresInSeconds: req.expiresInSeconds,
        maxUses: req.maxUses,
      });
      return {
        message: "Access token minted. Save the secret now — it will not be shown again.",
        result: { ...tokenToProto(minted.row), secret: minted.secret, redemptionUrl: minted.redemptionUrl },
      };
    },
    async revokePodAccessToken(req, ctx) {
      return { message: "Access token revoked successfully.", result: (await tokens.revoke(callerOf(ctx), req.podId, req.tokenId)).map(tokenToProto) };
    },
    async getPodAccessGateAudit(req, ctx) {
      const rows = await tokens.audit(callerOf(ctx), req.podId, req.limit ?? 100);
      return { message: "Pod access gate audit retrieved successfully.", result: rows.map(auditToProto) };
    },
  };
}

function answerOf(verdict: GateVerdict) {
  switch (verdict.kind) {
    case "allow":
      return { message: "Access granted.", answer: envelopeAnswer(200, "Access granted.", { [gateCodeHeader]: verdict.code }) };
    case "redirect":
      return { message: "Redirected.", answer: redirectAnswer(verdict.location, verdict.cookies, verdict.status) };
    case "page": {
      const headers: Record<string, string> = verdict.retryAfterSeconds ? { "Retry-After": String(verdict.retryAfterSeconds) } : {};
      return { message: verdict.problem?.text ?? "An access code is required.", answer: htmlAnswer(verdict.status, gatePage(verdict.podIdNet, verdict.returnPath, verdict.problem), headers) };
    }
  }
}

/**
 * A login form is posted from the gate's own page, on the pod's host. A
 * browser says where a post comes from: one from another site (sibling pods
 * are the same site, not the same origin) could sign a visitor in under
 * someone else's code, or spend their address's attempts.
 */
function refuseCrossSite(ctx: HandlerContext): void {
  const header = (name: string) => ctx.requestHeader.get(httpHeaderMetadata(name)) ?? undefined;
  const site = header("sec-fetch-site");
  const origin = header("origin");
  // The pod's host as the proxy names it; else the host the form was posted to.
  const host = forwardedHost(ctx) ?? header("host");
  const fromElsewhere = (site !== undefined && site !== "same-origin" && site !== "none") || (origin !== undefined && origin !== "null" && !sameHost(origin, host));
  if (fromElsewhere) throw new PermissionDeniedError("the login form must be sent from the pod's own page (Origin and Sec-Fetch-Site say it came from another site)");
}

/** Whether the origin `origin` is on `host` (an origin that is no URL is on none). */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host === undefined || new URL(origin).host === host;
  } catch {
    return false;
  }
}

function forwardedHost(ctx: HandlerContext): string | undefined {
  return ctx.requestHeader.get(httpHeaderMetadata("x-forwarded-host")) ?? undefined;
}

/** The visitor's address as the gateway established it; calls that did not come through a gateway share one. */
function clientAddressOf(ctx: HandlerContext): string {
  return ctx.requestHeader.get(metadataNames.clientAddress) ?? "";
}

function tokenToProto(row: PodAccessTokenRow) {
  return {
    id: row.id,
    podId: row.podId,
    label: row.label,
    kind: row.kind,
    createdBy: row.createdBy,
    createdAt: timestampFromMs(row.createdAt),
    ...(row.expiresAt === null ? {} : { expiresAt: timestampFromMs(row.expiresAt) }),
    ...(row.maxUses === null ? {} : { maxUses: row.maxUses }),
    uses: row.uses,
    revoked: row.revoked,
    ...(row.lastUsedAt === null ? {} : { lastUsedAt: timestampFromMs(row.lastUsedAt) }),
  };
}

function auditToProto(row: GateAuditRow) {
  return { at: timestampFromMs(row.at), action: row.action, tokenId: row.tokenId, label: row.label, actor: row.actor, detail: row.detail };
}
