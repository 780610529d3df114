import assert from "node:assert/strict";
import {
  DEFAULT_NEW_CONTACT_POLICY,
  newContactDueAt,
  newContactStage,
  parseNewContactPolicy,
  reachoutDecision,
  UNKNOWN_LOCK_RECHECK_MS,
} from "@wa-gateway/core/outbox";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = 100 * DAY;

describe("new-contact budget", () => {
  const stage = { fromDay: 0, perHour: 3, perDay: 8 };

  it("lets first messages go while both windows have room", () => {
    assert.equal(newContactDueAt([], stage, now), now);
    assert.equal(newContactDueAt([now - 10, now - 20], stage, now), now);
  });

  it("holds the next one until the oldest of the hour leaves the hour window", () => {
    const sent = [now - 50 * 60_000, now - 30 * 60_000, now - 10 * 60_000];
    assert.equal(newContactDueAt(sent, stage, now), now - 50 * 60_000 + HOUR);
  });

  it("holds by the day window once the day's budget is spent, however quiet the hour", () => {
    const sent = Array.from({ length: 8 }, (_, i) => now - 23 * HOUR + i * HOUR); // one an hour, the last 16 h ago
    assert.equal(newContactDueAt(sent, stage, now), now - 23 * HOUR + DAY);
  });

  it("does not count sends older than a day", () => {
    const sent = Array.from({ length: 20 }, (_, i) => now - DAY - i * 1000);
    assert.equal(newContactDueAt(sent, stage, now), now);
  });
});

describe("warm-up", () => {
  const added = now - 0;

  it("raises the budget on schedule, from the day the account was added", () => {
    const perDayOn = (day: number) => newContactStage(DEFAULT_NEW_CONTACT_POLICY, added, added + day * DAY).perDay;
    assert.deepEqual([0, 6, 7, 13, 14, 27, 28, 400].map(perDayOn), [8, 8, 15, 15, 20, 20, 25, 25]);
  });

  it("treats a clock before the account's creation as day 0", () => {
    assert.equal(newContactStage(DEFAULT_NEW_CONTACT_POLICY, added, added - DAY).perDay, 8);
  });

  it("reads a schedule from its text form", () => {
    assert.deepEqual(parseNewContactPolicy("0:1/2, 10:4/40"), [
      { fromDay: 0, perHour: 1, perDay: 2 },
      { fromDay: 10, perHour: 4, perDay: 40 },
    ]);
  });

  it("refuses a schedule it cannot follow, saying why", () => {
    assert.throws(() => parseNewContactPolicy("1:2/3"), /first stage must start at day 0/);
    assert.throws(() => parseNewContactPolicy("0:2/3,0:4/5"), /increasing fromDay/);
    assert.throws(() => parseNewContactPolicy("0:5/3"), /perHour is more than perDay/);
    assert.throws(() => parseNewContactPolicy("0:five/3"), /not fromDay:perHour\/perDay/);
    assert.throws(() => parseNewContactPolicy(""), /no stage/);
  });
});

describe("reachout decision", () => {
  const stage = { fromDay: 0, perHour: 3, perDay: 8 };

  it("holds a first message until WhatsApp's timelock ends, whatever the budget", () => {
    const lock = { active: true, untilMs: now + 5 * HOUR, enforcement: "RESTRICT_ALL_COMPANIONS" };
    assert.deepEqual(reachoutDecision(lock, [], stage, now), {
      kind: "hold",
      reason: "reachout_timelock",
      untilMs: now + 5 * HOUR,
    });
  });

  it("checks again later a lock whose end WhatsApp did not give", () => {
    const lock = { active: true, untilMs: null, enforcement: "DEFAULT" };
    assert.deepEqual(reachoutDecision(lock, [], stage, now), {
      kind: "hold",
      reason: "reachout_timelock",
      untilMs: now + UNKNOWN_LOCK_RECHECK_MS,
    });
  });

  it("ignores a lock that has ended or was lifted", () => {
    assert.deepEqual(reachoutDecision({ active: true, untilMs: now, enforcement: "X" }, [], stage, now), {
      kind: "go",
    });
    assert.deepEqual(reachoutDecision({ active: false, untilMs: null, enforcement: "DEFAULT" }, [], stage, now), {
      kind: "go",
    });
  });

  it("holds by the budget when there is no lock", () => {
    const sent = [now - 3, now - 2, now - 1];
    assert.deepEqual(reachoutDecision(null, sent, stage, now), {
      kind: "hold",
      reason: "new_contact_budget",
      untilMs: now - 3 + HOUR,
    });
  });
});
