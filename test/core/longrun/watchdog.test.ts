import assert from "node:assert/strict";
import {
  DEFAULT_MONITORING_CONFIG,
  evaluateAccounts,
  evaluateHeartbeats,
  reconnectsLastHour,
  resolveMonitoringConfig,
  updateReconnectHistory,
  type AccountHealth,
} from "@wa-gateway/core";

const NOW = Date.parse("2025-12-30T08:10:00Z");
const state = (lastAgoSec: number, extra = {}) => ({
  lastHeartbeatMs: NOW - lastAgoSec * 1000,
  lastInstanceId: "w1",
  streakStartedMs: NOW - 7200_000,
  firstHeartbeatMs: NOW - 7200_000,
  plannedStopMs: null,
  ...extra,
});
const full = { lastHour: 60, last24h: 120 };

describe("watchdog checks", () => {
  it("heartbeats count as missing once the last is older than two intervals less the drift allowance", () => {
    const at = (ago: number) => evaluateHeartbeats(state(ago), full, DEFAULT_MONITORING_CONFIG, NOW)[0]!;
    assert.equal(at(109).active, false);
    assert.equal(at(111).active, true);
    assert.equal(at(111).atMs, NOW - 111_000);
    assert.match(at(192).reason, /No heartbeat for 3m 12s; the last came from w1/);
  });

  it("says when the silence followed a planned stop", () => {
    const e = evaluateHeartbeats(
      state(300, { plannedStopMs: NOW - 290_000 }),
      full,
      DEFAULT_MONITORING_CONFIG,
      NOW,
    )[0]!;
    assert.equal(e.planned, true);
    assert.match(e.reason, /stopped on purpose/);
  });

  it("more than missedHbPerHour missed in the last hour opens heartbeat_gaps", () => {
    const gaps = (lastHour: number) =>
      evaluateHeartbeats(state(30), { lastHour, last24h: 120 }, DEFAULT_MONITORING_CONFIG, NOW).find(
        (e) => e.type === "heartbeat_gaps",
      )!;
    assert.equal(gaps(57).active, false);
    assert.equal(gaps(56).active, true);
  });

  it("a new install is not judged on hours it did not exist", () => {
    const fresh = evaluateHeartbeats(
      state(30, { firstHeartbeatMs: NOW - 300_000 }),
      { lastHour: 5, last24h: 5 },
      DEFAULT_MONITORING_CONFIG,
      NOW,
    );
    assert.deepEqual(
      fresh.map((e) => e.type),
      ["missed_heartbeat"],
    );
  });

  it("counts reconnects over the last hour from per-run samples, and flags a loop", () => {
    const account = (count: number): AccountHealth => ({
      id: "a1",
      status: "connecting",
      reconnectCount: count,
      leaseAlive: true,
    });
    let history = {};
    for (let i = 0; i <= 60; i += 10)
      history = updateReconnectHistory(history, [account(i / 10)], NOW - (60 - i) * 60_000 - 60_000);
    history = updateReconnectHistory(history, [account(7)], NOW);
    // From the last sample at or before an hour ago (count 0, 61 min ago) to now (count 7).
    const samples = (history as Record<string, { atMs: number; count: number }[]>).a1!;
    assert.equal(samples[0]!.atMs, NOW - 61 * 60_000);
    assert.equal(reconnectsLastHour(samples), 7);
    const loop = evaluateAccounts([account(7)], history, DEFAULT_MONITORING_CONFIG).find(
      (e) => e.type === "reconnect_loop",
    )!;
    assert.equal(loop.active, true);
  });

  it("a logged-out account is a P1 condition of its own; no connected account is another", () => {
    const evaluations = evaluateAccounts(
      [{ id: "a1", status: "logged_out", reconnectCount: 1, leaseAlive: false }],
      {},
      DEFAULT_MONITORING_CONFIG,
    );
    assert.deepEqual(
      evaluations.filter((e) => e.active).map((e) => `${e.type}/${e.key}`),
      ["no_active_account/global", "logged_out/a1"],
    );
  });
});

describe("monitoring config", () => {
  it("a bad edit keeps the last good values and says what is wrong", () => {
    const lastGood = { ...DEFAULT_MONITORING_CONFIG, heartbeatIntervalSec: 30 };
    const r = resolveMonitoringConfig({ heartbeatIntervalSec: "sixty", alertThreshold: {} }, lastGood);
    assert.equal(r.kind, "invalid");
    assert.equal(r.config.heartbeatIntervalSec, 30);
    assert.match(r.kind === "invalid" ? r.problems : "", /heartbeatIntervalSec/);
    assert.match(r.kind === "invalid" ? r.problems : "", /alertThreshold/);
  });

  it("a missing document means the runbook's defaults", () => {
    assert.deepEqual(resolveMonitoringConfig(undefined, undefined), {
      kind: "missing",
      config: DEFAULT_MONITORING_CONFIG,
    });
  });
});
