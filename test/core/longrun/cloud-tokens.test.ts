import assert from "node:assert/strict";
import { evaluateCloudTokens } from "@wa-gateway/core/longrun";

const NOW = Date.parse("2026-12-03T12:00:00Z");
const HOUR = 3_600_000;

describe("Cloud API tokens about to expire (cloud_token_expiring)", () => {
  const judge = (expiresAtMs: number | null, status: "connected" | "removed" = "connected") =>
    evaluateCloudTokens([{ accountId: "acc-1", status, expiresAtMs }], NOW)[0]!;

  it("is quiet while more than a week is left, or the token never expires", () => {
    assert.equal(judge(NOW + 7 * 24 * HOUR + 1).active, false);
    assert.equal(judge(null).active, false);
  });

  it("warns within the week, naming when; a P1 on the last day and once expired", () => {
    const week = judge(NOW + 3 * 24 * HOUR);
    assert.deepEqual([week.active, week.severity], [true, undefined]);
    assert.match(week.reason, /expires at 2026-12-06T12:00:00.000Z \(in 72 h\)/);
    assert.equal(judge(NOW + 20 * HOUR).severity, "P1");
    const expired = judge(NOW - HOUR);
    assert.deepEqual([expired.active, expired.severity], [true, "P1"]);
    assert.match(expired.reason, /expired at/);
  });

  it("a removed account's token is nobody's concern", () => {
    assert.equal(judge(NOW + HOUR, "removed").active, false);
  });
});
