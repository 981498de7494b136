import assert from "node:assert/strict";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { exportSPKI, generateKeyPair } from "jose";
import { VolumesService } from "../../gen/tapis/pods/v1/volumes_service_pb.js";
import { StaticAgentCredentials } from "../../control-plane/auth/agent-credentials.js";
import { StaticTenantKeys } from "../../control-plane/auth/tenant-keys.js";
import { TokenVerifier } from "../../control-plane/auth/token-verifier.js";
import { createAccessInterceptor } from "../../control-plane/authz/access-interceptor.js";
import { accessRules } from "../../control-plane/authz/access-rules.js";
import { createErrorInterceptor } from "../../control-plane/errors/error-interceptor.js";
import { PermissionDeniedError } from "../../control-plane/errors/domain-errors.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { accessClaims, signClaims } from "../support/tokens.js";

describe("access interceptor on streaming calls", () => {
  const checked: string[] = [];
  let handled: string[];
  let client: ReturnType<typeof createClient<typeof VolumesService>>;
  let token: string;

  before(async () => {
    const keys = await generateKeyPair("RS256");
    const issuer = "https://dev.tapis.example/v3/tokens";
    token = await signClaims(keys.privateKey, accessClaims("dev", "alice", issuer));
    const transport = createRouterTransport(
      (router) =>
        router.service(VolumesService, {
          async *getVolumeContents(req) {
            handled.push(`download ${req.volumeId}`);
            yield { data: new TextEncoder().encode("secret bytes") };
          },
          async uploadToVolume(requests) {
            for await (const req of requests) handled.push(`upload ${req.volumeId}${req.file.length}`);
            return { message: "", result: "" };
          },
        }),
      {
        router: {
          interceptors: [
            createErrorInterceptor(createJsonLogger({ level: "silent" })),
            createAccessInterceptor({
              rules: accessRules,
              verifier: new TokenVerifier(new StaticTenantKeys({ dev: { publicKeyPem: await exportSPKI(keys.publicKey), issuer } })),
              agents: new StaticAgentCredentials({}),
              objects: {
                async require(_caller, kind, id, level) {
                  checked.push(`${kind} ${id} ${level}`);
                  if (id !== "mine") throw new PermissionDeniedError(`${level} permission on ${kind} '${id}' is required`);
                },
              },
              serviceAdmins: new Set(),
              siteAdminTenants: new Set(),
              replicaToken: undefined,
            }),
          ],
        },
      },
    );
    client = createClient(VolumesService, transport);
  });
  beforeEach(() => {
    handled = [];
    checked.length = 0;
  });

  it("checksTheObjectOfAServerStreamingCallBeforeTheHandlerRuns", async () => {
    const headers = { "x-tapis-token": token };
    await assert.rejects(async () => {
      for await (const _chunk of client.getVolumeContents({ volumeId: "bobs", path: "x" }, { headers }));
    }, (error: unknown) => ConnectError.from(error).code === Code.PermissionDenied);
    assert.deepEqual(handled, []);
    assert.deepEqual(checked, ["volume bobs USER"]);
    const chunks: Uint8Array[] = [];
    for await (const chunk of client.getVolumeContents({ volumeId: "mine", path: "x" }, { headers })) chunks.push(chunk.data);
    assert.equal(chunks.length, 1);
  });

  it("checksTheObjectNamedInTheFirstMessageOfAnUpload", async () => {
    async function* upload(volumeId: string) {
      yield { volumeId, path: "f" };
      yield { file: new Uint8Array(3) };
    }
    await assert.rejects(client.uploadToVolume(upload("bobs"), { headers: { "x-tapis-token": token } }), (error: unknown) => ConnectError.from(error).code === Code.PermissionDenied);
    assert.deepEqual(handled, []);
    await client.uploadToVolume(upload("mine"), { headers: { "x-tapis-token": token } });
    assert.deepEqual(handled, ["upload mine0", "upload 3"]);
  });
});
