import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { parseEncryptionKeys, type EncryptionKey } from "../../control-plane/crypto/encryption-keys.js";
import { EncryptedValueError, FieldCipher, isEncryptedValue, type FieldPlace } from "../../control-plane/crypto/field-cipher.js";

function keys(text: string): EncryptionKey[] {
  const parsed = parseEncryptionKeys(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

const material = () => randomBytes(32).toString("base64");
const k1 = `k1:${material()}`;
const k2 = `k2:${material()}`;
const place: FieldPlace = { table: "pod_credentials", column: "user_password", row: ["dev", "mypod"] };
const secret = "correct horse battery staple ✓";

/** Replaces the `index`th colon-separated part of a stored value. */
function withPart(stored: string, index: number, change: (part: string) => string): string {
  const parts = stored.split(":");
  parts[index] = change(parts[index]!);
  return parts.join(":");
}

function assertUnreadable(cipher: FieldCipher, stored: string, where: FieldPlace, reason: RegExp): void {
  assert.throws(
    () => cipher.decrypt(stored, where),
    (error: unknown) => {
      assert.ok(error instanceof EncryptedValueError, String(error));
      assert.match(error.message, reason);
      assert.ok(!error.message.includes(secret));
      return true;
    },
  );
}

describe("field cipher (AES-256-GCM at rest)", () => {
  it("roundTripsAValueAndRecordsItsKeyId", () => {
    const cipher = new FieldCipher(keys(k1));
    const stored = cipher.encrypt(secret, place);
    assert.ok(stored.startsWith("enc:v1:k1:"));
    assert.ok(isEncryptedValue(stored));
    assert.equal(cipher.keyIdOf(stored), "k1");
    assert.ok(!stored.includes("horse"));
    assert.notEqual(cipher.encrypt(secret, place), stored, "every value gets its own IV");
    assert.equal(cipher.decrypt(stored, place), secret);
  });

  it("readsAnOlderKeysValuesAfterRotationAndWritesWithTheCurrentKey", () => {
    const before = new FieldCipher(keys(k1));
    const written = before.encrypt(secret, place);
    const rotated = new FieldCipher(keys(`${k2},${k1}`));
    assert.equal(rotated.currentKeyId, "k2");
    assert.equal(rotated.decrypt(written, place), secret);
    const rewritten = rotated.encrypt(secret, place);
    assert.equal(rotated.keyIdOf(rewritten), "k2");
    assertUnreadable(before, rewritten, place, /key 'k2', which is not among the configured keys \(k1\)/);
    assert.equal(new FieldCipher(keys(k2)).decrypt(rewritten, place), secret);
  });

  it("refusesATamperedValue", () => {
    const cipher = new FieldCipher(keys(`${k2},${k1}`));
    const stored = cipher.encrypt(secret, place);
    const flip = (part: string) => (part[0] === "A" ? "B" : "A") + part.slice(1);
    for (const index of [3, 4, 5]) assertUnreadable(cipher, withPart(stored, index, flip), place, /does not decrypt with key 'k2'/);
    assertUnreadable(cipher, withPart(stored, 2, () => "k1"), place, /does not decrypt with key 'k1'/);
    assertUnreadable(cipher, withPart(stored, 5, (tag) => tag.slice(0, 6)), place, /truncated/);
    assertUnreadable(cipher, stored.slice(0, -1), place, /./);
  });

  it("refusesAValueCopiedToAnotherRowColumnOrTable", () => {
    const cipher = new FieldCipher(keys(k1));
    const stored = cipher.encrypt(secret, place);
    assertUnreadable(cipher, stored, { ...place, row: ["dev", "otherpod"] }, /of \(dev, otherpod\): does not decrypt/);
    assertUnreadable(cipher, stored, { ...place, row: ["othertenant", "mypod"] }, /does not decrypt/);
    assertUnreadable(cipher, stored, { ...place, column: "service_password" }, /does not decrypt/);
    assertUnreadable(cipher, stored, { ...place, table: "secrets" }, /does not decrypt/);
  });

  it("refusesAValueUnderAnotherKeyOfTheSameId", () => {
    const stored = new FieldCipher(keys(k1)).encrypt(secret, place);
    assertUnreadable(new FieldCipher(keys(`k1:${material()}`)), stored, place, /does not decrypt with key 'k1'/);
  });

  it("refusesWhatIsNotAnEncryptedValue", () => {
    const cipher = new FieldCipher(keys(k1));
    assertUnreadable(cipher, "plain password", place, /is not an encrypted value/);
    assertUnreadable(cipher, "enc:v1:k1:abc", place, /is not an encrypted value/);
  });
});

describe("encryption keys (PODS_ENCRYPTION_KEY format)", () => {
  it("takesTheFirstKeyAsCurrentAndNamesABareKeyK1", () => {
    assert.deepEqual(keys(`${k2}, ${k1}`).map((k) => k.id), ["k2", "k1"]);
    assert.deepEqual(keys(`${k2}\n${k1}\n`).map((k) => k.id), ["k2", "k1"]);
    assert.deepEqual(keys(material()).map((k) => k.id), ["k1"]);
    assert.deepEqual(keys(`next:${randomBytes(32).toString("base64url")}`).map((k) => k.id), ["next"]);
  });

  it("neverShowsKeyMaterialWhenPrintedOrSerialised", () => {
    const [key] = keys(k1);
    assert.equal(JSON.stringify(key), '{"id":"k1","key":{}}');
    assert.ok(!inspect(key, { depth: 5 }).includes(k1.slice(3, 20)));
  });
});
