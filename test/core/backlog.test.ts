import assert from "node:assert/strict";
import { backlogVerdict } from "@wa-gateway/core/accounts";

const HOUR = 3_600_000;
const since = Date.UTC(2026, 10, 1);

describe("a dormant account's backlog", () => {
  it("a removed account's messages fail at once", () => {
    assert.deepEqual(backlogVerdict({ status: "removed", dormantSinceMs: since }, since, 24 * HOUR), {
      kind: "fail",
      reason: "the account was removed",
    });
  });

  it("a logged-out account's messages wait for a re-link until the hold ends, then fail", () => {
    const account = { status: "logged_out" as const, dormantSinceMs: since };
    assert.deepEqual(backlogVerdict(account, since + 23 * HOUR, 24 * HOUR), {
      kind: "hold",
      untilMs: since + 24 * HOUR,
    });
    const verdict = backlogVerdict(account, since + 24 * HOUR, 24 * HOUR);
    assert.equal(verdict.kind, "fail");
    assert.match(verdict.kind === "fail" ? verdict.reason : "", /logged out more than 24 h ago/);
  });

  it("an account that can send has no backlog to resolve", () => {
    for (const status of ["connected", "disconnected", "pending_qr", "needs_qr"] as const)
      assert.deepEqual(backlogVerdict({ status, dormantSinceMs: since }, since, HOUR), { kind: "none" });
  });
});
