import assert from "node:assert/strict";
import { publicServices, devIdentityServices } from "../../edge-gateway/public-services.js";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { accessRules } from "../../control-plane/authz/access-rules.js";
import { keepTail } from "../../control-plane/storage/pod-log-repository.js";
import { ConfigError, EnvReader } from "../../shared/config/env-reader.js";
import { redact } from "../../shared/logging/logger.js";

describe("small rules", () => {
  it("hasAnAccessRuleForEveryRpc", () => {
    const methods = [...publicServices, ...devIdentityServices, AgentService].flatMap((s) => s.methods);
    assert.deepEqual(methods.filter((m) => !accessRules.has(m)).map((m) => m.name), []);
  });

  it("keepsTheNewestLogBytesFromALineStart", () => {
    const text = "old line\n".repeat(1000) + "newest\n";
    const kept = keepTail(text, 100);
    assert.ok(Buffer.byteLength(kept) <= 100);
    assert.ok(kept.endsWith("newest\n"));
    assert.ok(kept.startsWith("old line\n"));
  });

  it("namesEveryBadVariableAtOnce", () => {
    const env = new EnvReader({ PODS_HTTP_PORT: "eighty", PODS_OUTBOX_RELAY: "maybe" });
    env.int("PODS_HTTP_PORT", 8080, { min: 0, max: 65535 });
    env.bool("PODS_OUTBOX_RELAY", true);
    assert.throws(() => env.done(), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /PODS_HTTP_PORT="eighty": must be an integer between 0 and 65535/);
      assert.match(error.message, /PODS_OUTBOX_RELAY="maybe": must be true or false/);
      return true;
    });
  });

  it("redactsSecretsInLogFields", () => {
    assert.deepEqual(redact({ user: "alice", password: "p", nested: { secret_value: "s", token: "t" } }), {
      user: "alice",
      password: "[redacted]",
      nested: { secret_value: "[redacted]", token: "[redacted]" },
    });
  });
});
