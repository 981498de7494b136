import assert from "node:assert/strict";
import { parseEncryptionKeys, type EncryptionKey } from "../../control-plane/crypto/encryption-keys.js";
import { FieldCipher } from "../../control-plane/crypto/field-cipher.js";
import { Database } from "../../control-plane/storage/database.js";
import { createJsonLogger } from "../../shared/logging/logger.js";
import { createTestDatabase, testEncryptionKey } from "../support/test-database.js";

/** PODS_DATABASE_CONNECTIONS bounds the connections a control plane opens to MariaDB. */
describe("the database's connections on MariaDB", function () {
  this.timeout(60_000);

  it("opensNoMoreConnectionsThanItIsGivenHoweverManyReadsWait", async () => {
    if (!process.env.PODS_TEST_MYSQL_URL) assert.fail("PODS_TEST_MYSQL_URL must name the test server (npm run test:infra sets it)");
    const server = await createTestDatabase(process.env.PODS_TEST_MYSQL_URL);
    const keys = parseEncryptionKeys(testEncryptionKey) as EncryptionKey[];
    const db = await Database.open({ kind: "mysql", url: server.url }, { lockMs: 5_000, statementMs: 5_000 }, createJsonLogger({ level: "silent" }), new FieldCipher(keys), 4);
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => db.read((m) => m.query("SELECT CONNECTION_ID() AS id, SLEEP(0.05) AS pause") as Promise<{ id: number }[]>)),
      );
      assert.equal(new Set(answers.map(([row]) => Number(row!.id))).size, 4);
    } finally {
      await db.close();
      await server.drop();
    }
  });
});
