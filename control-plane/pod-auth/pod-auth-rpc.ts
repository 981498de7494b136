import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { PodAuthService as PodAuthRpc } from "../../gen/tapis/pods/v1/pod_auth_service_pb.js";
import { httpHeaderMetadata, metadataNames } from "../../shared/rpc/metadata.js";
import { envelopeAnswer, redirectAnswer } from "../server/http-answer.js";
import type { AuthVerdict, PodAuthService } from "./pod-auth-service.js";

/**
 * PodAuthService over RPC: reads what the proxy passed on from the request
 * metadata the gateway filled (see the RPCs' HttpExchange option), and
 * answers with the decision and the HTTP answer the proxy acts on.
 */
export function podAuthRpc(auth: PodAuthService): ServiceImpl<typeof PodAuthRpc> {
  return {
    async podAuth(req, ctx) {
      const header = (name: string) => ctx.requestHeader.get(httpHeaderMetadata(name)) ?? undefined;
      const verdict = await auth.check(req.podIdNet, req.tenantId, {
        cookie: header("cookie"),
        accept: header("accept"),
        token: ctx.requestHeader.get(metadataNames.tapisToken) ?? undefined,
        host: header("x-forwarded-host"),
        proto: header("x-forwarded-proto"),
        redirectStatus: header("x-pods-redirect-status"),
      });
      return answerOf(verdict, ctx);
    },
    async podAuthCallback(req, ctx) {
      const verdict = await auth.callback(req.podIdNet, req.code, req.state, ctx.requestHeader.get(httpHeaderMetadata("cookie")) ?? undefined);
      return answerOf(verdict, ctx);
    },
  };
}

function answerOf(verdict: AuthVerdict, ctx: HandlerContext) {
  switch (verdict.kind) {
    case "allow":
      // The access log names who passed.
      ctx.responseHeader.set(metadataNames.callerUser, verdict.username);
      return {
        message: `User ${verdict.username} may pass.`,
        result: { httpStatus: 200, responseHeaders: verdict.headers },
        answer: envelopeAnswer(200, `User ${verdict.username} may pass.`, verdict.headers),
      };
    case "redirect":
      return {
        message: "Log in first.",
        result: { httpStatus: verdict.status, location: verdict.location },
        answer: redirectAnswer(verdict.location, verdict.cookies, verdict.status),
      };
    case "deny":
      return {
        message: verdict.message,
        result: { httpStatus: verdict.status },
        answer: envelopeAnswer(verdict.status, verdict.message, {}, verdict.cookies),
      };
  }
}
