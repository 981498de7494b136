import assert from "node:assert/strict";
import { createSecretKey, randomBytes } from "node:crypto";
import { FieldCipher } from "../../control-plane/crypto/field-cipher.js";
import { isAllowedUser, templatedHeaders } from "../../control-plane/pod-auth/allowed-users.js";
import { parseCookies, PodSessions } from "../../control-plane/pod-auth/pod-sessions.js";

const key = (id: string) => ({ id, key: createSecretKey(randomBytes(32)) });

describe("pod sessions and login states", () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const cipher = new FieldCipher([key("k1")]);
  const sessions = new PodSessions(cipher, () => now);
  const inAnHour = now / 1000 + 3600;

  it("opensASessionOnlyForTheEntryAndTenantItWasMadeFor", () => {
    const sealed = sessions.seal({ tenantId: "dev", podIdNet: "web", username: "alice", expiresAt: inAnHour });
    assert.equal(sessions.open(sealed, "dev", "web")?.username, "alice");
    assert.equal(sessions.open(sealed, "dev", "web-admin"), null);
    assert.equal(sessions.open(sealed, "other", "web"), null);
    assert.equal(sessions.open(`${sealed.slice(0, -4)}AAAA`, "dev", "web"), null);
    assert.equal(sessions.open("alice", "dev", "web"), null);
  });

  it("endsASessionWhenItsTimeIsUp", () => {
    const sealed = sessions.seal({ tenantId: "dev", podIdNet: "web", username: "alice", expiresAt: inAnHour });
    now += 3601_000;
    try {
      assert.equal(sessions.open(sealed, "dev", "web"), null);
    } finally {
      now -= 3601_000;
    }
  });

  it("opensSessionsOfAnOlderKeyAfterARotation", () => {
    const old = key("k1");
    const before = new PodSessions(new FieldCipher([old]), () => now).seal({ tenantId: "dev", podIdNet: "web", username: "alice", expiresAt: inAnHour });
    const rotated = new PodSessions(new FieldCipher([key("k2"), old]), () => now);
    assert.equal(rotated.open(before, "dev", "web")?.username, "alice");
  });

  it("finishesALoginOnlyInTheBrowserThatBeganItForThatEntryInTime", () => {
    const { state, nonce } = sessions.beginLogin({ tenantId: "dev", podIdNet: "web", redirectUri: "https://web.pods.dev.localhost/v3/pods/web/auth/callback" });
    assert.deepEqual(sessions.finishLogin(state, "web", nonce), {
      tenantId: "dev",
      podIdNet: "web",
      redirectUri: "https://web.pods.dev.localhost/v3/pods/web/auth/callback",
      expiresAt: now / 1000 + 600,
    });
    assert.equal(sessions.finishLogin(state, "web", "another browser's nonce"), "the login did not start in this browser");
    assert.equal(sessions.finishLogin(state, "web", undefined), "the login did not start in this browser");
    assert.equal(sessions.finishLogin(state, "other", nonce), "is not a login this service began for this pod");
    now += 601_000;
    try {
      assert.equal(sessions.finishLogin(state, "web", nonce), "the login took too long; start again");
    } finally {
      now -= 601_000;
    }
  });

  it("readsCookiesByName", () => {
    assert.deepEqual([...parseCookies("a=1; tapis_pods_session=enc:v1:k1:x:y:z ; a=2")], [
      ["a", "1"],
      ["tapis_pods_session", "enc:v1:k1:x:y:z"],
    ]);
  });
});

describe("tapis_auth_allowed_users", () => {
  const level = (value: "READ" | "USER" | "ADMIN" | null) => async () => value;

  it("matchesStarUsernamesIgnoringCaseGroupsAndWholeUsernamePatterns", async () => {
    assert.equal(await isAllowedUser("bob", ["*"], level(null)), true);
    assert.equal(await isAllowedUser("Alice", ["alice"], level(null)), true);
    assert.equal(await isAllowedUser("alice2", ["alice"], level(null)), false);
    // A username with dots is no pattern: "a.b" does not let "axb" in.
    assert.equal(await isAllowedUser("axb", ["a.b"], level(null)), false);
    assert.equal(await isAllowedUser("student7", ["student[0-9]+"], level(null)), true);
    assert.equal(await isAllowedUser("xstudent7", ["student[0-9]+"], level(null)), false);
    assert.equal(await isAllowedUser("bob", ["AUTHORIZED_USERS"], level("READ")), false);
    assert.equal(await isAllowedUser("bob", ["AUTHORIZED_USERS"], level("ADMIN")), true);
    assert.equal(await isAllowedUser("bob", [], level(null)), true);
  });

  it("readsThePodsPermissionsOnlyWhenAGroupIsNamed", async () => {
    let reads = 0;
    const counted = async () => {
      reads++;
      return null;
    };
    await isAllowedUser("bob", ["alice", "carol"], counted);
    assert.equal(reads, 0);
    await isAllowedUser("bob", ["AUTHORIZED_READS", "AUTHORIZED_ADMINS"], counted);
    assert.equal(reads, 1);
  });

  it("fillsEveryPlaceholderOfTheResponseHeaders", () => {
    assert.deepEqual(
      templatedHeaders({ A: "<<tapisusername>>@<<tapistenantid>>.<<tapissiteid>>", B: "<<tapistenant>>/<<tapisusername>>/<<tapisusername>>", C: "plain" }, { username: "al", tenantId: "dev", siteId: "tacc" }),
      { A: "al@dev.tacc", B: "dev/al/al", C: "plain" },
    );
  });
});
