import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEmbeddedConfig } from "../../embedded/config.js";
import { ConfigError } from "../../shared/config/env-reader.js";
import { startChildService } from "../support/child-service.js";

const key = () => randomBytes(32).toString("base64");
const mysqlUrl = "mysql://pods:pods@127.0.0.1:1/pods";

/** Asserts that `env` is refused with a message naming `variable` and never echoing `secret`. */
function assertRefused(env: Record<string, string>, variable: string, rule: RegExp, secret?: string): void {
  assert.throws(
    () => readEmbeddedConfig({ PODS_DATA_DIR: "/nonexistent/pods-data", ...env }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      const line = error.problems.find((problem) => problem.startsWith(variable));
      assert.ok(line, `no problem names ${variable}: ${error.message}`);
      assert.match(line, rule);
      if (secret) assert.ok(!error.message.includes(secret), "the message must not repeat the key");
      return true;
    },
  );
}

describe("encryption key configuration", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pods-keys-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("refusesMysqlWithoutAKey", () => {
    assertRefused({ PODS_DATABASE_URL: mysqlUrl }, "PODS_ENCRYPTION_KEY", /required.*MySQL/);
  });

  it("refusesAKeyThatIsNotBase64Of32Bytes", () => {
    const short = randomBytes(16).toString("base64");
    assertRefused({ PODS_ENCRYPTION_KEY: short }, "PODS_ENCRYPTION_KEY", /32 bytes/, short);
    assertRefused({ PODS_ENCRYPTION_KEY: "not base64 at all!" }, "PODS_ENCRYPTION_KEY", /base64/, "not base64 at all!");
    assertRefused({ PODS_ENCRYPTION_KEY: "k1:" }, "PODS_ENCRYPTION_KEY", /k1/);
    const repeated = key();
    assertRefused({ PODS_ENCRYPTION_KEY: `a:${repeated},a:${key()}` }, "PODS_ENCRYPTION_KEY", /'a'.*more than once/, repeated);
    assertRefused({ PODS_ENCRYPTION_KEY: `bad id!:${repeated}` }, "PODS_ENCRYPTION_KEY", /id/, repeated);
  });

  it("refusesAKeyFileThatIsMissingOrMalformed", async () => {
    assertRefused({ PODS_ENCRYPTION_KEY_FILE: join(dir, "missing") }, "PODS_ENCRYPTION_KEY_FILE", /cannot read/);
    const malformed = join(dir, "malformed");
    await writeFile(malformed, "k1:tooshort\n");
    assertRefused({ PODS_ENCRYPTION_KEY_FILE: malformed }, "PODS_ENCRYPTION_KEY_FILE", /32 bytes/, "tooshort");
  });

  it("refusesAKeyAndAKeyFileTogether", async () => {
    const file = join(dir, "both");
    await writeFile(file, `k1:${key()}\n`);
    assertRefused({ PODS_ENCRYPTION_KEY: key(), PODS_ENCRYPTION_KEY_FILE: file }, "PODS_ENCRYPTION_KEY", /not both/);
  });

  it("acceptsOneKeyAListOfKeysWithIdsOrAKeyFile", async () => {
    const file = join(dir, "list");
    await writeFile(file, `k2:${key()}\nk1:${key()}\n`);
    for (const env of [{ PODS_ENCRYPTION_KEY: key() }, { PODS_ENCRYPTION_KEY: `k2:${key()}, k1:${key()}` }, { PODS_ENCRYPTION_KEY_FILE: file }]) {
      assert.doesNotThrow(() => readEmbeddedConfig({ PODS_DATABASE_URL: mysqlUrl, ...env }));
    }
  });

  it("stopsTheProcessOnMysqlWithoutAKeyNamingTheVariable", async function () {
    this.timeout(30_000);
    await assert.rejects(startChildService({ PODS_DATA_DIR: join(dir, "data"), PODS_DATABASE_URL: mysqlUrl, PODS_HTTP_PORT: "0", PODS_GRPC_PORT: "0" }), (error: Error) => {
      assert.match(error.message, /exited with 2 before it was ready/);
      assert.match(error.message, /PODS_ENCRYPTION_KEY: .*required/);
      return true;
    });
  });
});
