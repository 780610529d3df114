import assert from "node:assert/strict";
import { DEFAULT_MONITORING_CONFIG } from "@wa-gateway/core/documents";
import {
  evaluateAccounts,
  evaluateHeartbeats,
  evaluateUnhandledStanzas,
  INCIDENT_TYPES,
  resolveMonitoringConfig,
  type WatchedAccount,
} from "@wa-gateway/core/longrun";

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

  it("counts an account's disconnects within the last hour, and flags a loop above the threshold", () => {
    const minutesAgo = (...m: number[]) => m.map((x) => NOW - x * 60_000);
    const looping: WatchedAccount = {
      id: "a1",
      status: "connecting",
      recentDisconnectsMs: minutesAgo(70, 40, 30, 20, 10, 1),
      inboundStuckSinceMs: null,
    };
    const evaluations = evaluateAccounts({ ever: 3, live: 3, connected: 2 }, [looping], DEFAULT_MONITORING_CONFIG, NOW);
    const loop = evaluations.find((e) => e.type === "reconnect_loop")!;
    assert.equal(loop.active, false, "5 within the hour is not above 5");
    assert.match(loop.reason, /reconnected 5 times/);
    looping.recentDisconnectsMs.push(NOW);
    const again = evaluateAccounts({ ever: 3, live: 3, connected: 2 }, [looping], DEFAULT_MONITORING_CONFIG, NOW);
    assert.equal(again.find((e) => e.type === "reconnect_loop")!.active, true);
  });

  it("a logged-out account is a P1 condition of its own; no connected account is another", () => {
    const evaluations = evaluateAccounts(
      { ever: 1, live: 1, connected: 0 },
      [{ id: "a1", status: "logged_out", recentDisconnectsMs: [NOW - 1000], inboundStuckSinceMs: null }],
      DEFAULT_MONITORING_CONFIG,
      NOW,
    );
    assert.deepEqual(
      evaluations.filter((e) => e.active).map((e) => `${e.type}/${e.key}`),
      ["no_active_account/global", "logged_out/a1"],
    );
  });

  it("an account whose inbound messages cannot be stored is a P2 condition, from when it started", () => {
    const stuck: WatchedAccount = {
      id: "a1",
      status: "connected",
      recentDisconnectsMs: [],
      inboundStuckSinceMs: NOW - 5 * 60_000,
    };
    const backlog = evaluateAccounts({ ever: 1, live: 1, connected: 1 }, [stuck], DEFAULT_MONITORING_CONFIG, NOW).find(
      (e) => e.type === "inbound_backlog",
    )!;
    assert.equal(backlog.active, true);
    assert.equal(backlog.atMs, NOW - 5 * 60_000);
    assert.match(backlog.reason, /failed to store for 5m 00s/);
    const stored = evaluateAccounts(
      { ever: 1, live: 1, connected: 1 },
      [{ ...stuck, inboundStuckSinceMs: null }],
      DEFAULT_MONITORING_CONFIG,
      NOW,
    );
    assert.equal(stored.find((e) => e.type === "inbound_backlog")!.active, false);
  });

  it("a reach-out timelock is an incident until its end, whose reason says until when", () => {
    const untilMs = NOW + 90 * 60_000;
    const locked: WatchedAccount = {
      id: "a1",
      status: "connected",
      recentDisconnectsMs: [],
      inboundStuckSinceMs: null,
      reachoutLock: { untilMs, enforcement: "RESTRICT_ALL_COMPANIONS" },
    };
    const at = (nowMs: number, account = locked) =>
      evaluateAccounts({ ever: 1, live: 1, connected: 1 }, [account], DEFAULT_MONITORING_CONFIG, nowMs).find(
        (e) => e.type === "reachout_timelock",
      )!;
    assert.equal(at(NOW).active, true);
    assert.match(at(NOW).reason, /may not start new chats until 2025-12-30T09:40:00.000Z .*RESTRICT_ALL_COMPANIONS/);
    assert.equal(at(untilMs - 1).active, true);
    assert.equal(at(untilMs).active, false, "ended at its end, whether or not a worker said so");
    assert.equal(at(NOW, { ...locked, reachoutLock: { untilMs: null, enforcement: "DEFAULT" } }).active, true);
    assert.equal(at(NOW, { ...locked, reachoutLock: null }).active, false);
    assert.equal(at(NOW, { ...locked, status: "removed" }).active, false);
    assert.equal(INCIDENT_TYPES.reachout_timelock.severity, "P2");
  });

  it("405 or 516 closes are the client version rejected: one incident whose alert says to update WA_VERSION", () => {
    const rejected: WatchedAccount = {
      id: "a1",
      status: "disconnected",
      recentDisconnectsMs: [NOW - 60_000],
      inboundStuckSinceMs: null,
      lastDisconnectCode: 405,
    };
    const other: WatchedAccount = { ...rejected, id: "a2", lastDisconnectCode: 516 };
    const evaluations = evaluateAccounts(
      { ever: 2, live: 2, connected: 0 },
      [rejected, other],
      DEFAULT_MONITORING_CONFIG,
      NOW,
    );
    const version = evaluations.filter((e) => e.type === "client_version_rejected");
    assert.deepEqual(
      version.map((e) => [e.key, e.active]),
      [["global", true]],
    );
    assert.match(version[0]!.reason, /2 accounts.*405.*516|a1.*a2/);
    assert.match(INCIDENT_TYPES.client_version_rejected.action, /WA_VERSION/);
    const back = evaluateAccounts(
      { ever: 2, live: 2, connected: 2 },
      [
        { ...rejected, status: "connected" },
        { ...other, lastDisconnectCode: 428 },
      ],
      DEFAULT_MONITORING_CONFIG,
      NOW,
    );
    assert.equal(back.find((e) => e.type === "client_version_rejected")?.active, false, "resolves once they connect");
  });

  it("a stanza nothing handles, seen on several accounts within a day, opens an incident per type", () => {
    const sighting = (type: string, accounts: number, agoMs: number) => ({
      kind: "notification",
      type,
      shape: `<notification type id/>`,
      accounts,
      lastSeenMs: NOW - agoMs,
    });
    const evaluations = evaluateUnhandledStanzas(
      [sighting("on_two", 2, 60_000), sighting("on_one", 1, 60_000), sighting("gone_quiet", 5, 25 * 3_600_000)],
      NOW,
    );
    assert.deepEqual(
      evaluations.map((e) => [e.type, e.key, e.active]),
      [
        ["unhandled_stanza", "notification:on_two", true],
        ["unhandled_stanza", "notification:on_one", false],
        ["unhandled_stanza", "notification:gone_quiet", false],
      ],
    );
    assert.match(evaluations[0]!.reason, /2 accounts.*<notification type id\/>/);
  });

  it("a deployment that never had an account is insufficient data; one whose accounts all went away still alerts", () => {
    const noAccountYet = evaluateAccounts({ ever: 0, live: 0, connected: 0 }, [], DEFAULT_MONITORING_CONFIG, NOW);
    // Not down: nothing opens before the first account exists, and an incident left open from
    // before (an older version raised one on day one, or every account document was deleted) resolves.
    assert.deepEqual(
      noAccountYet.map((e) => `${e.type}/${e.active}`),
      ["no_active_account/false", "client_version_rejected/false"],
    );
    const noneExpected = evaluateAccounts(
      { ever: 2, live: 0, connected: 0 },
      [],
      { ...DEFAULT_MONITORING_CONFIG, expectedAccounts: 0 },
      NOW,
    );
    assert.deepEqual(
      noneExpected.map((e) => `${e.type}/${e.active}`),
      ["no_active_account/false", "client_version_rejected/false"],
    );
    const allRemoved = evaluateAccounts({ ever: 2, live: 0, connected: 0 }, [], DEFAULT_MONITORING_CONFIG, NOW);
    assert.deepEqual(
      allRemoved.map((e) => `${e.type}/${e.active}`),
      ["no_active_account/true", "client_version_rejected/false"],
    );
  });

  it("healthy accounts are not looked at one by one: only the counts decide no_active_account", () => {
    const evaluations = evaluateAccounts(
      { ever: 1000, live: 1000, connected: 998 },
      [],
      DEFAULT_MONITORING_CONFIG,
      NOW,
    );
    assert.deepEqual(
      evaluations.map((e) => `${e.type}/${e.key}/${e.active}`),
      ["no_active_account/global/false", "client_version_rejected/global/false"],
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
