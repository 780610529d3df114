import assert from "node:assert/strict";
import {
  advancesStatus,
  backoffMs,
  claimability,
  claimFields,
  decideClaim,
  DEFAULT_RETRY_POLICY,
  failureFields,
  holdsSendLease,
  MAX_THROTTLES,
  TokenBucket,
  type OutboxLeaseView,
} from "@wa-gateway/core/outbox";

const now = 1_000_000;
const entry = (over: Partial<OutboxLeaseView> = {}): OutboxLeaseView => ({
  status: "queued",
  claimedBy: null,
  leaseUntilMs: null,
  leaseEpoch: 0,
  attempts: 0,
  throttles: 0,
  nextAttemptAtMs: now,
  ...over,
});

describe("outbox lifecycle", () => {
  it("a due queued entry is claimable; a future retry is not yet", () => {
    assert.equal(claimability(entry(), now, 5), "due");
    assert.equal(claimability(entry({ nextAttemptAtMs: now + 1 }), now, 5), "not_due");
  });

  it("a processing entry is claimable only once its lease expired", () => {
    assert.equal(claimability(entry({ status: "processing", leaseUntilMs: now + 1 }), now, 5), "leased");
    assert.equal(claimability(entry({ status: "processing", leaseUntilMs: now }), now, 5), "due");
  });

  it("an entry claimed maxAttempts times is given up when next due, not claimed again", () => {
    const expired = entry({ status: "processing", leaseUntilMs: now - 1, attempts: 5 });
    assert.equal(claimability(expired, now, 5), "exhausted");
    assert.equal(claimability({ ...expired, leaseUntilMs: now + 1 }, now, 5), "leased");
    assert.equal(claimability(entry({ attempts: 5 }), now, 5), "exhausted");
    assert.equal(claimability(entry({ status: "processing", leaseUntilMs: now - 1, attempts: 4 }), now, 5), "due");
  });

  it("a claim whose commit answer was lost claims its own live lease again at once, not counting that attempt", () => {
    const landed = entry({
      status: "processing",
      claimedBy: "w1",
      leaseUntilMs: now + 60_000,
      leaseEpoch: 3,
      attempts: 1,
    });
    const decided = decideClaim(landed, { workerId: "w1", nowMs: now, leaseSec: 60, maxAttempts: 5, triedEpoch: 3 });
    assert.equal(decided.kind, "claim");
    if (decided.kind !== "claim") return;
    assert.deepEqual([decided.fields.leaseEpoch, decided.fields.attempts, decided.takeover], [4, 1, false]);
  });

  it("a live lease is waited out when it is another worker's, or one this worker did not lose the answer of", () => {
    const leased = entry({ status: "processing", claimedBy: "w1", leaseUntilMs: now + 60_000, leaseEpoch: 3 });
    const by = (workerId: string, triedEpoch?: number) =>
      decideClaim(leased, { workerId, nowMs: now, leaseSec: 60, maxAttempts: 5, triedEpoch }).kind;
    assert.deepEqual([by("w2", 3), by("w1", 2), by("w1")], ["held", "held", "held"]);
  });

  it("sent and failed are final", () => {
    assert.equal(claimability(entry({ status: "sent" }), now, 5), "final");
    assert.equal(claimability(entry({ status: "failed" }), now, 5), "final");
  });

  it("a claim bumps the epoch and the attempt, with a 60 s lease", () => {
    const fields = claimFields(entry({ leaseEpoch: 4, attempts: 1 }), "w1", now, 60);
    assert.equal(fields.leaseEpoch, 5);
    assert.equal(fields.attempts, 2);
    assert.equal(fields.leaseUntil.getTime(), now + 60_000);
  });

  it("only the claimer under the current epoch holds the lease", () => {
    const held = entry({ status: "processing", claimedBy: "w1", leaseEpoch: 5 });
    assert.equal(holdsSendLease(held, "w1", 5), true);
    assert.equal(holdsSendLease(held, "w1", 4), false);
    assert.equal(holdsSendLease(held, "w2", 5), false);
    assert.equal(holdsSendLease({ ...held, status: "sent" }, "w1", 5), false);
  });

  it("a failure retries until the attempt limit, then fails", () => {
    const retry = failureFields(
      { attempts: 1, throttles: 0 },
      { permanent: false, message: "boom" },
      now,
      DEFAULT_RETRY_POLICY,
      () => 0,
    );
    assert.equal(retry.status, "queued");
    assert.ok("nextAttemptAt" in retry && retry.nextAttemptAt.getTime() > now);
    assert.equal(
      failureFields({ attempts: 5, throttles: 0 }, { permanent: false, message: "x" }, now, DEFAULT_RETRY_POLICY)
        .status,
      "failed",
    );
    assert.equal(
      failureFields({ attempts: 1, throttles: 0 }, { permanent: true, message: "x" }, now, DEFAULT_RETRY_POLICY).status,
      "failed",
    );
  });

  it("a throttled send gives its claim back and backs off longer each time, without failing the entry", () => {
    const throttled = { permanent: false, throttled: true, message: "Cloud API 130429 (throttled)" };
    const policy = { maxAttempts: 5, baseMs: 2000, maxMs: 300_000 };
    const after = failureFields({ attempts: 5, throttles: 12 }, throttled, now, policy, () => 1);
    assert.equal(after.status, "queued");
    assert.deepEqual(
      "throttles" in after && [after.attempts, after.throttles, after.nextAttemptAt.getTime() - now],
      [4, 13, 300_000],
    );
  });

  it("a send still throttled after MAX_THROTTLES fails as throttled, for an operator to requeue", () => {
    const throttled = {
      permanent: false,
      throttled: true,
      message: "Cloud API 131048 (throttled): spam rate limit hit",
    };
    const last = failureFields({ attempts: 1, throttles: MAX_THROTTLES - 1 }, throttled, now, DEFAULT_RETRY_POLICY);
    assert.deepEqual([last.status, "failureKind" in last && last.failureKind], ["failed", "throttled"]);
  });

  it("backoff doubles per attempt within jitter bounds and is capped", () => {
    const policy = { maxAttempts: 10, baseMs: 1000, maxMs: 10_000 };
    assert.equal(
      backoffMs(1, policy, () => 0),
      500,
    );
    assert.equal(
      backoffMs(1, policy, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(3, policy, () => 1),
      4000,
    );
    assert.equal(
      backoffMs(30, policy, () => 1),
      10_000,
    );
    for (let i = 0; i < 100; i++) {
      const b = backoffMs(2, policy);
      assert.ok(b >= 1000 && b <= 2000);
    }
  });
});

describe("message status", () => {
  it("moves forward only", () => {
    assert.equal(advancesStatus("queued", "sent"), true);
    assert.equal(advancesStatus("sent", "read"), true);
    assert.equal(advancesStatus("read", "delivered"), false);
    assert.equal(advancesStatus("delivered", "sent"), false);
    assert.equal(advancesStatus("failed", "sent"), false);
    assert.equal(advancesStatus("sent", "failed"), false);
    assert.equal(advancesStatus("queued", "failed"), true);
  });
});

describe("send pacing token bucket", () => {
  it("lets a burst through, then spaces sends at the refill rate", () => {
    const bucket = new TokenBucket({ perMinute: 60, capacity: 2, jitterMs: 0 }, 0);
    assert.equal(bucket.take(0), 0);
    assert.equal(bucket.take(0), 0);
    assert.equal(bucket.take(0), 1000);
    assert.equal(bucket.take(0), 2000);
  });

  it("refills over time up to its capacity", () => {
    const bucket = new TokenBucket({ perMinute: 60, capacity: 2, jitterMs: 0 }, 0);
    bucket.take(0);
    bucket.take(0);
    assert.equal(bucket.take(10_000), 0);
    assert.equal(bucket.take(10_000), 0);
    assert.equal(bucket.take(10_000), 1000);
  });

  it("adds up to jitterMs of random delay", () => {
    const bucket = new TokenBucket({ perMinute: 600, capacity: 10, jitterMs: 800 }, 0);
    assert.equal(
      bucket.take(0, () => 0.5),
      400,
    );
  });
});
