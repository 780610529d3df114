import assert from "node:assert/strict";
import { holdsLease, leaseState, nextEpoch } from "@wa-gateway/core";

const NOW = Date.parse("2025-12-30T10:00:00Z");
const lease = { holder: "w1", untilMs: NOW + 30_000, epoch: 4 };

describe("the fenced lease (core/leases.ts)", () => {
  it("is free when never held or run out, ours or theirs while live", () => {
    assert.equal(leaseState(null, "w1", NOW), "free");
    assert.equal(leaseState(lease, "w1", NOW), "ours");
    assert.equal(leaseState(lease, "w2", NOW), "theirs");
    assert.equal(leaseState(lease, "w2", lease.untilMs), "free", "run out at its end, not a millisecond later");
  });

  it("fences every write but the holder's under its epoch", () => {
    assert.equal(holdsLease(lease, "w1", 4), true);
    assert.equal(holdsLease(lease, "w1", 3), false);
    assert.equal(holdsLease(lease, "w2", 4), false);
    assert.equal(holdsLease(null, "w1", 4), false);
  });

  it("a claim takes the epoch after the last holder's, starting at 1", () => {
    assert.equal(nextEpoch(null), 1);
    assert.equal(nextEpoch(lease), 5);
  });
});
