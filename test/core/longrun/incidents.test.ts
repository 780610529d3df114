import assert from "node:assert/strict";
import { incidentId, reconcileIncidents, type Evaluation, type OpenIncident } from "@wa-gateway/core/longrun";

const NOW = Date.parse("2025-12-30T08:10:00Z");
const HOUR = 3_600_000;

const missing = (active: boolean, atMs?: number): Evaluation => ({
  type: "missed_heartbeat",
  key: "global",
  active,
  atMs,
  reason: active ? "no heartbeat" : "resumed",
});

function openIncident(
  type: OpenIncident["type"],
  key: string,
  startMs: number,
  lastNotifiedMs: number | null,
): OpenIncident {
  return { id: incidentId(type, key, startMs), type, key, tsStartMs: startMs, lastNotifiedMs };
}

describe("incident state machine", () => {
  it("an active condition with no open incident opens one, from its onset, and announces it", () => {
    const onset = NOW - 150_000;
    const [action] = reconcileIncidents({ open: [], evaluations: [missing(true, onset)], nowMs: NOW, repeatMs: HOUR });
    assert.equal(action?.kind, "open");
    assert.equal(action.kind === "open" && action.tsStartMs, onset);
    assert.equal(action.kind === "open" && action.notify, true);
    assert.equal(action.id, "missed_heartbeat_global_20251230T080730");
  });

  it("a condition still active opens nothing new and repeats at most once per repeat interval", () => {
    const recent = openIncident("missed_heartbeat", "global", NOW - 600_000, NOW - 59 * 60_000);
    assert.deepEqual(
      reconcileIncidents({ open: [recent], evaluations: [missing(true)], nowMs: NOW, repeatMs: HOUR }),
      [],
    );
    const due = { ...recent, lastNotifiedMs: NOW - HOUR };
    const actions = reconcileIncidents({ open: [due], evaluations: [missing(true)], nowMs: NOW, repeatMs: HOUR });
    assert.deepEqual(
      actions.map((a) => a.kind),
      ["remind"],
    );
  });

  it("a cleared condition resolves its incident with the downtime from onset to recovery", () => {
    const start = NOW - 400_000;
    const open = openIncident("missed_heartbeat", "global", start, start + 150_000);
    const [action] = reconcileIncidents({
      open: [open],
      evaluations: [missing(false, NOW - 100_000)],
      nowMs: NOW,
      repeatMs: HOUR,
    });
    assert.equal(action?.kind, "resolve");
    assert.equal(action.kind === "resolve" && action.mttrSec, 300);
    assert.equal(action.kind === "resolve" && action.notify, true);
  });

  it("while heartbeats are missing the alerts they cause are recorded but not announced", () => {
    const actions = reconcileIncidents({
      open: [],
      evaluations: [
        missing(true, NOW - 200_000),
        { type: "no_active_account", key: "global", active: true, reason: "0 connected" },
        { type: "logged_out", key: "acc1", active: true, reason: "logged out" },
      ],
      nowMs: NOW,
      repeatMs: HOUR,
    });
    const notify = Object.fromEntries(
      actions.map((a) => [a.kind === "open" ? a.evaluation.type : a.id, a.kind === "open" && a.notify]),
    );
    assert.deepEqual(notify, { missed_heartbeat: true, no_active_account: false, logged_out: true });
  });

  it("a muted incident is announced once heartbeats are back, and one nobody heard of resolves silently", () => {
    const muted = openIncident("outbox_lag", "global", NOW - 300_000, null);
    const stillOpen = reconcileIncidents({
      open: [muted],
      evaluations: [missing(false), { type: "outbox_lag", key: "global", active: true, reason: "lag" }],
      nowMs: NOW,
      repeatMs: HOUR,
    });
    assert.deepEqual(
      stillOpen.map((a) => a.kind),
      ["remind"],
    );
    const cleared = reconcileIncidents({
      open: [muted],
      evaluations: [{ type: "outbox_lag", key: "global", active: false, reason: "ok" }],
      nowMs: NOW,
      repeatMs: HOUR,
    });
    assert.equal(cleared[0]?.kind === "resolve" && cleared[0].notify, false);
  });

  it("incidents of types not evaluated in a run are left alone, and one pair evaluated twice is refused", () => {
    const other = openIncident("probe_fail", "OUT", NOW - HOUR, NOW - HOUR);
    assert.deepEqual(
      reconcileIncidents({ open: [other], evaluations: [missing(false)], nowMs: NOW, repeatMs: HOUR }),
      [],
    );
    assert.throws(() =>
      reconcileIncidents({ open: [], evaluations: [missing(true), missing(false)], nowMs: NOW, repeatMs: HOUR }),
    );
  });
});
