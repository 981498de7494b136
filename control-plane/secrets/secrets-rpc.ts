import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { SecretsService } from "../../gen/tapis/pods/v1/secrets_service_pb.js";
import { callerOf } from "../auth/caller-of.js";
import { levelNameOf } from "../authz/level-proto.js";
import type { PermissionService } from "../authz/permission-service.js";
import type { SecretMetadata } from "../storage/secret-repository.js";
import type { SecretService, SecretUpdate } from "./secret-service.js";

/** SecretsService over gRPC/Connect: translates messages and delegates. */
export function secretsRpc(secrets: SecretService, permissions: PermissionService): ServiceImpl<typeof SecretsService> {
  return {
    async listSecrets(_req, ctx) {
      return { message: "Secrets retrieved successfully.", result: (await secrets.list(callerOf(ctx))).map(secretToProto) };
    },
    async createSecret(req, ctx) {
      const created = await secrets.create(callerOf(ctx), {
        secretId: req.secretId,
        secretValue: req.secretValue,
        scope: req.scope,
        podId: req.podId,
        description: req.description,
        readable: req.readable,
        writable: req.writable,
      });
      return { message: "Secret created successfully.", result: secretToProto(created) };
    },
    async getSecret(req, ctx) {
      return { message: "Secret retrieved successfully.", result: secretToProto(await secrets.get(callerOf(ctx), req.secretId)) };
    },
    async updateSecret(req, ctx) {
      const given = req.updateMask?.paths.length ? req.updateMask.paths.map((path) => path.split(".")[0]!) : [...(req.description ? ["description"] : []), ...(req.secretValue ? ["secret_value"] : [])];
      const update: SecretUpdate = {
        ...(given.includes("description") ? { description: req.description } : {}),
        ...(given.includes("secret_value") ? { secretValue: req.secretValue } : {}),
      };
      return { message: "Secret updated successfully.", result: secretToProto(await secrets.update(callerOf(ctx), req.secretId, update)) };
    },
    async deleteSecret(req, ctx) {
      await secrets.delete(callerOf(ctx), req.secretId);
      return { message: "Secret deleted successfully.", result: "" };
    },
    async getSecretValue(req, ctx) {
      const value = await secrets.value(callerOf(ctx), req.secretId);
      return { message: "Secret value retrieved successfully.", result: { secret_id: req.secretId, secret_value: value } };
    },
    async getSecretPermissions(req, ctx) {
      return { message: "Secret permissions retrieved successfully.", result: { permissions: await permissions.list(callerOf(ctx), "secret", req.secretId) } };
    },
    async setSecretPermission(req, ctx) {
      const list = await permissions.set(callerOf(ctx), "secret", req.secretId, req.user, levelNameOf(req.level));
      return { message: "Secret permission set successfully.", result: { permissions: list } };
    },
    async deleteSecretPermission(req, ctx) {
      const list = await permissions.remove(callerOf(ctx), "secret", req.secretId, req.user);
      return { message: "Secret permission removed successfully.", result: { permissions: list } };
    },
  };
}

function secretToProto(secret: SecretMetadata) {
  return {
    secretId: secret.secretId,
    scope: secret.scope,
    podId: secret.podId ?? undefined,
    description: secret.description,
    readable: secret.readable,
    writable: secret.writable,
    skSecretName: secret.skSecretName,
    creationTs: timestampFromMs(secret.creationTs),
    addedBy: secret.addedBy,
  };
}
