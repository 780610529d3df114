import assert from "node:assert/strict";
import { heartbeatBucketId } from "@wa-gateway/core";
import { analyseHeartbeats, computeRollup, incidentStats, type Beat } from "@wa-gateway/core/longrun";

const DAY = Date.parse("2025-12-30T00:00:00Z");
const NEXT_DAY = DAY + 86_400_000;
const at = (iso: string) => Date.parse(iso);

/** A beat written `lateMs` after its 60 s bucket began (server time). */
function beat(iso: string, lateMs = 200, extra: Partial<Beat> = {}): Beat {
  const ms = at(iso);
  return { bucketId: heartbeatBucketId(new Date(ms), 60), serverMs: ms + lateMs, instanceId: "w1", ...extra };
}

/** Beats every minute from `fromIso` (inclusive) to `toIso` (exclusive). */
function minutes(fromIso: string, toIso: string): Beat[] {
  const out: Beat[] = [];
  for (let ms = at(fromIso); ms < at(toIso); ms += 60_000) out.push(beat(new Date(ms).toISOString()));
  return out;
}

const base = { intervalSec: 60, driftSec: 10 };

describe("heartbeat math", () => {
  it("a full day of beats is 1440 of 1440, no gaps, 100 % uptime", () => {
    const a = analyseHeartbeats({
      ...base,
      beats: minutes("2025-12-30T00:00:00Z", "2025-12-31T00:00:00Z"),
      fromMs: DAY,
      toMs: NEXT_DAY,
      nowMs: NEXT_DAY + 3_600_000,
      observableFromMs: DAY - 86_400_000,
    });
    assert.equal(a.expectedBeats, 1440);
    assert.equal(a.observedBuckets, 1440);
    assert.equal(a.coverage, 1);
    assert.equal(a.gapCount, 0);
    assert.equal(a.uptimePct, 100);
  });

  it("a gap across midnight is reported with its true start and end, and its downtime split by day", () => {
    // Last beat 23:50 on the 29th, next 00:20 on the 30th, then every minute.
    const before = beat("2025-12-29T23:50:00Z");
    const beats = minutes("2025-12-30T00:20:00Z", "2025-12-31T00:00:00Z");
    const a = analyseHeartbeats({
      ...base,
      beats,
      before,
      fromMs: DAY,
      toMs: NEXT_DAY,
      nowMs: NEXT_DAY + 1000,
      observableFromMs: DAY - 86_400_000,
    });
    assert.equal(a.gapCount, 1);
    assert.equal(a.maxGap!.startMs, before.serverMs);
    assert.equal(a.maxGap!.endMs, at("2025-12-30T00:20:00Z") + 200);
    assert.equal(a.maxGap!.durationSec, 1800);
    assert.equal(a.maxGap!.missedBeats, 29);
    // Down from 23:51 (one interval after the last beat) to 00:20:00.2: 20 min 0.2 s fall on the 30th.
    assert.equal(a.unplannedDowntimeSec, 1200);
    assert.equal(a.observedBuckets, 1420);
    assert.equal(a.coverage, Math.round((1420 / 1440) * 10_000) / 10_000);
  });

  it("the same bucket written twice counts once and is reported as a duplicate", () => {
    const beats = [...minutes("2025-12-30T10:00:00Z", "2025-12-30T10:10:00Z"), beat("2025-12-30T10:05:00Z", 900)];
    const a = analyseHeartbeats({
      ...base,
      beats,
      fromMs: at("2025-12-30T10:00:00Z"),
      toMs: at("2025-12-30T10:10:00Z"),
      nowMs: at("2025-12-30T10:10:00Z"),
      observableFromMs: at("2025-12-30T10:00:00Z"),
    });
    assert.equal(a.observedBuckets, 10);
    assert.equal(a.duplicateBeats, 1);
    assert.equal(a.coverage, 1);
    assert.equal(a.gapCount, 0);
  });

  it("a partial day divides by what was observable, not by 24 hours", () => {
    // Monitoring began at 18:00; the rollup runs for that day. 6 h observable, 350 of 360 beats.
    const beats = minutes("2025-12-30T18:00:00Z", "2025-12-31T00:00:00Z").filter((_, i) => i % 36 !== 5);
    const a = analyseHeartbeats({
      ...base,
      beats,
      fromMs: DAY,
      toMs: NEXT_DAY,
      nowMs: NEXT_DAY + 300_000,
      observableFromMs: at("2025-12-30T18:00:00Z"),
    });
    assert.equal(a.observableSec, 6 * 3600);
    assert.equal(a.expectedBeats, 360);
    assert.equal(a.observedBuckets, 350);
    assert.equal(a.coverage, 0.9722);
    assert.equal(a.gapCount, 10);
  });

  it("beats later than driftSec after their bucket are counted as drifted, and do not open a gap", () => {
    const beats = minutes("2025-12-30T10:00:00Z", "2025-12-30T10:05:00Z");
    beats[2] = beat("2025-12-30T10:02:00Z", 25_000); // 25 s late: its bucket is still covered
    const a = analyseHeartbeats({
      ...base,
      beats,
      fromMs: at("2025-12-30T10:00:00Z"),
      toMs: at("2025-12-30T10:05:00Z"),
      nowMs: at("2025-12-30T10:05:00Z"),
      observableFromMs: at("2025-12-30T10:00:00Z"),
    });
    assert.equal(a.driftedBeats, 1);
    assert.equal(a.maxDriftSec, 25);
    assert.equal(a.gapCount, 0);
  });

  it("a gap that a planned stop caused is counted as planned downtime", () => {
    const beats = [
      ...minutes("2025-12-30T10:00:00Z", "2025-12-30T10:10:00Z"),
      beat("2025-12-30T10:15:00Z", 200, { afterPlannedStop: true }),
      ...minutes("2025-12-30T10:16:00Z", "2025-12-30T10:20:00Z"),
    ];
    const a = analyseHeartbeats({
      ...base,
      beats,
      fromMs: at("2025-12-30T10:00:00Z"),
      toMs: at("2025-12-30T10:20:00Z"),
      nowMs: at("2025-12-30T10:20:00Z"),
      observableFromMs: at("2025-12-30T10:00:00Z"),
    });
    assert.equal(a.gapCount, 1);
    assert.equal(a.gaps[0]!.planned, true);
    assert.equal(a.plannedDowntimeSec, 300);
    assert.equal(a.unplannedDowntimeSec, 0);
  });

  it("silence until the end of the window is an open gap", () => {
    const beats = minutes("2025-12-30T10:00:00Z", "2025-12-30T10:10:00Z");
    const a = analyseHeartbeats({
      ...base,
      beats,
      fromMs: at("2025-12-30T10:00:00Z"),
      toMs: at("2025-12-30T11:00:00Z"),
      nowMs: at("2025-12-30T10:30:00Z"),
      observableFromMs: at("2025-12-30T10:00:00Z"),
    });
    assert.equal(a.gapCount, 1);
    assert.equal(a.maxGap!.endMs, null);
    assert.equal(a.observableSec, 1800);
    // Down from 10:10:00.2 (one interval after the last beat) to 10:30: 1199.8 s, rounded.
    assert.equal(a.unplannedDowntimeSec, 1200);
  });
});

describe("incident statistics", () => {
  const incident = (startIso: string, endIso: string | null, detectedAfterSec = 90) => ({
    type: "missed_heartbeat",
    severity: "P2" as const,
    tsStartMs: at(startIso),
    tsDetectedMs: at(startIso) + detectedAfterSec * 1000,
    tsEndMs: endIso ? at(endIso) : null,
  });

  it("an incident spanning days counts as opened on its first day and resolved, with its whole MTTR, on its last", () => {
    const spanning = incident("2025-12-29T23:00:00Z", "2025-12-30T01:00:00Z");
    const day29 = incidentStats([spanning], DAY - 86_400_000, DAY);
    const day30 = incidentStats([spanning], DAY, NEXT_DAY);
    assert.deepEqual([day29.opened, day29.resolved], [1, 0]);
    assert.deepEqual([day30.opened, day30.resolved], [0, 1]);
    assert.equal(day30.mttr.meanSec, 7200);
  });

  it("MTTR mean, median and p90 come from onset to resolution", () => {
    const list = [
      incident("2025-12-30T01:00:00Z", "2025-12-30T01:01:00Z"), // 60
      incident("2025-12-30T02:00:00Z", "2025-12-30T02:02:00Z"), // 120
      incident("2025-12-30T03:00:00Z", "2025-12-30T03:10:00Z"), // 600
      incident("2025-12-30T04:00:00Z", null),
    ];
    const s = incidentStats(list, DAY, NEXT_DAY);
    assert.deepEqual(s.mttr, { count: 3, meanSec: 260, medianSec: 120, p90Sec: 600 });
    assert.equal(s.timeToDetect.meanSec, 90);
    assert.deepEqual(s.byType, { missed_heartbeat: 4 });
    assert.deepEqual(s.bySeverity, { P2: 4 });
  });
});

describe("daily rollup", () => {
  it("marks a day under the coverage threshold as insufficientData and gives probe pass rates", () => {
    const beats = minutes("2025-12-30T00:00:00Z", "2025-12-30T12:00:00Z");
    const rollup = computeRollup({
      date: "2025-12-30",
      dayStartMs: DAY,
      nowMs: NEXT_DAY + 300_000,
      beats,
      observableFromMs: DAY - 86_400_000,
      ...base,
      insufficientDataThreshold: 0.8,
      incidents: [],
      probes: [
        { type: "OUT", result: "PASS", latencyMs: 900 },
        { type: "OUT", result: "FAIL", latencyMs: null },
        { type: "OUT", result: "PASS", latencyMs: 1100 },
        { type: "IN", result: "SKIPPED", latencyMs: null },
      ],
    });
    assert.equal(rollup.heartbeat.coverage, 0.5);
    assert.equal(rollup.insufficientData, true);
    assert.equal(rollup.maxGap!.endIso, null);
    assert.equal(rollup.probes.OUT!.passRate, 0.6667);
    assert.equal(rollup.probes.OUT!.meanLatencyMs, 1000);
    assert.equal(rollup.probes.IN!.passRate, null);
    assert.equal(rollup.probes.IN!.skipped, 1);
  });
});
