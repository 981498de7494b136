import assert from "node:assert/strict";
import { attemptKeyOf } from "../../control-plane/access-gate/attempt-key.js";

describe("whose failed attempts at a gate count together", () => {
  it("countsAnIpv4AddressOnItsOwn", () => {
    assert.equal(attemptKeyOf("203.0.113.7"), "203.0.113.7");
    assert.notEqual(attemptKeyOf("203.0.113.7"), attemptKeyOf("203.0.113.8"));
  });

  it("countsEveryAddressOfAnIpv6Slash64Together", () => {
    // One subscriber commonly holds a whole /64: its addresses are one visitor.
    const key = attemptKeyOf("2001:db8:1:2::1");
    for (const same of ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0db8:0001:0002:abcd::9", "2001:DB8:1:2::"]) assert.equal(attemptKeyOf(same), key, same);
    for (const other of ["2001:db8:1:3::1", "2001:db8::1", "::1"]) assert.notEqual(attemptKeyOf(other), key, other);
    assert.equal(attemptKeyOf("::ffff:203.0.113.7"), attemptKeyOf("203.0.113.7"), "an IPv4-mapped address is its IPv4 address");
  });

  it("keepsAnythingElseAsItIsWithinTheColumn", () => {
    assert.equal(attemptKeyOf("unknown"), "unknown");
    assert.equal(attemptKeyOf("x".repeat(100)).length, 64);
  });
});
