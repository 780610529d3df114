import assert from "node:assert/strict";
import { UnansweredClaims, type ClaimAttempt } from "../../../worker/src/outbox/unansweredClaims";

const lost = () => Promise.reject(new Error("2 UNKNOWN"));

/** A claim that tries `epoch` and then loses its answer. */
const claimTrying = (epoch: number) => async (ours: ClaimAttempt) => {
  ours.trying(epoch);
  return lost();
};

describe("unanswered outbox claims", () => {
  it("a lone claim whose answer is lost is known as ours at the next claim, and forgotten once one succeeds", async () => {
    const claims = new UnansweredClaims();
    await assert.rejects(claims.around("req-1", claimTrying(3)));
    let seen: number | undefined;
    await claims.around("req-1", async (ours) => {
      seen = ours.ownEpoch();
      ours.trying(4);
      return "claimed";
    });
    assert.equal(seen, 3);
    await claims.around("req-1", async (ours) => assert.equal(ours.ownEpoch(), undefined));
  });

  it("a retry within one claim knows the epoch its own earlier attempt tried", async () => {
    const claims = new UnansweredClaims();
    await claims.around("req-1", async (ours) => {
      ours.trying(3);
      assert.equal(ours.ownEpoch(), 3);
    });
  });

  it("claims of one entry that overlap know no lease as theirs, and leave nothing remembered", async () => {
    const claims = new UnansweredClaims();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = claims.around("req-1", async (ours) => {
      ours.trying(3);
      await held;
      return lost();
    });
    let seenBySecond: number | undefined = -1;
    await claims.around("req-1", async (ours) => {
      seenBySecond = ours.ownEpoch();
      ours.trying(3);
      return "claimed";
    });
    release();
    await assert.rejects(first);
    assert.equal(seenBySecond, undefined);
    await claims.around("req-1", async (ours) => assert.equal(ours.ownEpoch(), undefined));
  });

  it("another entry's lost answer is not this one's", async () => {
    const claims = new UnansweredClaims();
    await assert.rejects(claims.around("req-1", claimTrying(3)));
    await claims.around("req-2", async (ours) => assert.equal(ours.ownEpoch(), undefined));
  });
});
