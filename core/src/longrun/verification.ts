import { heartbeatBucketId, parseHeartbeatBucketId, probeKey, type ProbeType } from "../ids";
import { heartbeatDocument, incidentDocument, type MonitoringConfig, type ProbeResult } from "../documents/longrun";
import { analyseHeartbeats, type Beat } from "./heartbeatMath";
import { missedHeartbeatThresholdSec } from "./watchdog";
import { PROBE_PERIOD_MS } from "./probes";

/** The operator commands' checks (`npm run verify:*`), as pure functions of what they read. */

export type CheckStatus = "PASS" | "FAIL" | "INSUFFICIENT";
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** 0 all pass, 1 any failure, 2 not enough data to tell (the runbook's exit codes). */
export function exitCodeFor(checks: Check[]): 0 | 1 | 2 {
  if (checks.some((c) => c.status === "FAIL")) return 1;
  if (checks.length === 0 || checks.some((c) => c.status === "INSUFFICIENT")) return 2;
  return 0;
}

export interface StoredBeat extends Beat {
  tsMs: number;
  intervalSec: number;
}

export interface StoredIncident {
  id: string;
  type: string;
  status: string;
  tsStartMs: number;
  tsEndMs: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** No duplicate buckets, one lock holder at a time, and every real gap matched by an incident (and back). */
export function checkRestartSafety(args: {
  beats: StoredBeat[];
  incidents: StoredIncident[];
  duplicateAttempts: number;
  config: MonitoringConfig;
  watchdogPeriodSec: number;
  fromMs: number;
  toMs: number;
  nowMs: number;
}): Check[] {
  const beats = [...args.beats].sort((a, b) => a.serverMs - b.serverMs);
  if (beats.length < 2) {
    return [{ name: "heartbeats", status: "INSUFFICIENT", detail: `${beats.length} heartbeat(s) in the period` }];
  }
  const checks: Check[] = [];

  const misfiled = beats.filter((b) => heartbeatBucketId(new Date(b.tsMs), b.intervalSec) !== b.bucketId);
  const perBucketTime = new Map<string, number>();
  for (const b of beats) {
    const key = heartbeatBucketId(new Date(b.tsMs), args.config.heartbeatIntervalSec);
    perBucketTime.set(key, (perBucketTime.get(key) ?? 0) + 1);
  }
  const doubled = [...perBucketTime.entries()].filter(([, n]) => n > 1).map(([k]) => k);
  checks.push({
    name: "idempotent writes",
    status: misfiled.length || doubled.length ? "FAIL" : "PASS",
    detail:
      `${beats.length} heartbeats, ${doubled.length} bucket(s) with more than one beat` +
      (doubled.length ? ` (${doubled.slice(0, 5).join(", ")})` : "") +
      `, ${misfiled.length} filed under the wrong bucket; ${args.duplicateAttempts} duplicate create(s) refused as designed`,
  });

  const epochHolders = new Map<number, Set<string>>();
  let interleaved = 0;
  for (let i = 0; i < beats.length; i++) {
    const b = beats[i]!;
    const epoch = b.lockEpoch ?? -1;
    if (!epochHolders.has(epoch)) epochHolders.set(epoch, new Set());
    epochHolders.get(epoch)!.add(b.instanceId);
    if (i > 0 && (beats[i - 1]!.lockEpoch ?? -1) > epoch) interleaved++;
  }
  const shared = [...epochHolders.entries()].filter(([, ids]) => ids.size > 1);
  checks.push({
    name: "distributed lock",
    status: interleaved || shared.length ? "FAIL" : "PASS",
    detail: `${epochHolders.size} lock epoch(s), ${interleaved} out-of-order beat(s), ${shared.length} epoch(s) with more than one holder`,
  });

  const analysis = analyseHeartbeats({
    beats,
    fromMs: args.fromMs,
    toMs: args.toMs,
    nowMs: args.nowMs,
    observableFromMs: beats[0]!.serverMs,
    intervalSec: args.config.heartbeatIntervalSec,
    driftSec: args.config.driftSec,
  });
  const thresholdSec = missedHeartbeatThresholdSec(args.config);
  const missed = args.incidents.filter((i) => i.type === "missed_heartbeat");
  const overlaps = (startMs: number, endMs: number, i: StoredIncident) =>
    i.tsStartMs <= endMs && (i.tsEndMs ?? Infinity) >= startMs;
  const unalerted = analysis.gaps.filter(
    (g) =>
      g.endMs !== null &&
      g.durationSec > thresholdSec + args.watchdogPeriodSec &&
      !missed.some((i) => overlaps(g.startMs, g.endMs!, i)),
  );
  const unexplained = missed.filter(
    (i) =>
      i.tsStartMs >= args.fromMs &&
      i.tsStartMs < args.toMs &&
      !analysis.gaps.some((g) => g.durationSec > thresholdSec && overlaps(g.startMs, g.endMs ?? args.nowMs, i)),
  );
  checks.push({
    name: "gap detection",
    status: unalerted.length || unexplained.length ? "FAIL" : "PASS",
    detail:
      `${analysis.gapCount} gap(s), ${missed.length} missed_heartbeat incident(s); ` +
      `${unalerted.length} gap(s) over ${thresholdSec + args.watchdogPeriodSec} s without an incident` +
      (unalerted.length ? ` (first from ${iso(unalerted[0]!.startMs)})` : "") +
      `, ${unexplained.length} incident(s) without a gap`,
  });
  return checks;
}

export interface StoredProbe {
  key: string;
  type: ProbeType;
  result: ProbeResult;
  startedMs: number;
  reason: string | null;
}

/** Runbook targets: ≥ 95 % for outbound and inbound, ≥ 98 % for the queue probe. */
export const PROBE_PASS_TARGETS: Record<ProbeType, number> = { OUT: 0.95, IN: 0.95, QUEUE: 0.98 };

/** Every scheduled slot has its probe, none is stuck, and pass rates meet the runbook's targets. */
/**
 * Probes of the period: every slot probed, none stuck, pass rates at target. Slots are expected
 * only from the system's first heartbeat on (`firstHeartbeatMs`): a new deployment has not missed
 * the slots before it existed.
 */
export function checkProbes(args: {
  probes: StoredProbe[];
  fromMs: number;
  toMs: number;
  nowMs: number;
  firstHeartbeatMs: number | null;
}): Check[] {
  const checks: Check[] = [];
  const byKey = new Map(args.probes.map((p) => [p.key, p]));
  const graceMs = 30 * 60_000;
  // Without a heartbeat yet, the first probe tells when the system began.
  const startedMs =
    args.firstHeartbeatMs ?? (args.probes.length ? Math.min(...args.probes.map((p) => p.startedMs)) : null);
  const expectFromMs = Math.max(args.fromMs, startedMs ?? Number.POSITIVE_INFINITY);
  for (const type of ["OUT", "IN", "QUEUE"] as const) {
    const stepMs = PROBE_PERIOD_MS[type];
    const expected: string[] = [];
    for (
      let t = Math.ceil(expectFromMs / stepMs) * stepMs;
      t < Math.min(args.toMs, args.nowMs - graceMs);
      t += stepMs
    ) {
      expected.push(probeKey(type, new Date(t)));
    }
    const ofType = args.probes.filter((p) => p.type === type);
    const missing = expected.filter((k) => !byKey.has(k));
    const stuck = ofType.filter((p) => p.result === "PENDING" && args.nowMs - p.startedMs > graceMs);
    const pass = ofType.filter((p) => p.result === "PASS").length;
    const fail = ofType.filter((p) => p.result === "FAIL").length;
    const skipped = ofType.filter((p) => p.result === "SKIPPED");
    const rate = pass + fail ? pass / (pass + fail) : null;
    const target = PROBE_PASS_TARGETS[type];
    let status: CheckStatus = "PASS";
    if (missing.length || stuck.length || (rate !== null && rate < target)) status = "FAIL";
    // All skipped (not configured) tells nothing; nor does a system that never ran.
    else if (rate === null && (expected.length > 0 || ofType.length > 0 || startedMs === null)) status = "INSUFFICIENT";
    checks.push({
      name: `${type} probe`,
      status,
      detail:
        `${pass} PASS, ${fail} FAIL, ${skipped.length} SKIPPED` +
        (rate === null ? "" : `, pass rate ${(rate * 100).toFixed(1)} % (target ${target * 100} %)`) +
        (missing.length ? `; missing slots: ${missing.slice(0, 5).join(", ")}` : "") +
        (stuck.length ? `; stuck PENDING: ${stuck.map((p) => p.key).join(", ")}` : "") +
        (rate === null && skipped.length ? `; skipped because: ${skipped[0]!.reason}` : "") +
        (startedMs === null
          ? "; the system has not run yet"
          : startedMs > args.fromMs
            ? `; slots counted from the first heartbeat (${iso(startedMs)})`
            : ""),
    });
  }
  return checks;
}

/** Documents match their schemas, beats are on time, coverage and max gap meet the runbook's targets. */
export function checkDataQuality(args: {
  heartbeatDocs: { id: string; data: Record<string, unknown> }[];
  incidentDocs: { id: string; data: Record<string, unknown> }[];
  beats: Beat[];
  config: MonitoringConfig;
  fromMs: number;
  toMs: number;
  nowMs: number;
}): Check[] {
  const checks: Check[] = [];
  const badBeats = args.heartbeatDocs.filter(
    (d) => !heartbeatDocument.safeParse(d.data).success || !parseHeartbeatBucketId(d.id),
  );
  const badIncidents = args.incidentDocs.filter((d) => !incidentDocument.safeParse(d.data).success);
  checks.push({
    name: "document schemas",
    status: badBeats.length || badIncidents.length ? "FAIL" : "PASS",
    detail: `${args.heartbeatDocs.length} heartbeats (${badBeats.length} malformed${
      badBeats.length
        ? `: ${badBeats
            .slice(0, 3)
            .map((d) => d.id)
            .join(", ")}`
        : ""
    }), ${args.incidentDocs.length} incidents (${badIncidents.length} malformed)`,
  });
  if (args.beats.length === 0) {
    checks.push({ name: "coverage", status: "INSUFFICIENT", detail: "no heartbeats in the period" });
    return checks;
  }
  const sorted = [...args.beats].sort((a, b) => a.serverMs - b.serverMs);
  const a = analyseHeartbeats({
    beats: sorted,
    fromMs: args.fromMs,
    toMs: args.toMs,
    nowMs: args.nowMs,
    observableFromMs: sorted[0]!.serverMs,
    intervalSec: args.config.heartbeatIntervalSec,
    driftSec: args.config.driftSec,
  });
  const coverage = a.coverage ?? 0;
  checks.push({
    name: "coverage",
    status:
      coverage < args.config.insufficientDataThreshold
        ? "INSUFFICIENT"
        : coverage < args.config.alertThresholds.coverageMin
          ? "FAIL"
          : "PASS",
    detail: `${a.observedBuckets} of ${a.expectedBeats} expected beats (${(coverage * 100).toFixed(1)} %), over ${Math.round(a.observableSec / 60)} min observable`,
  });
  // The runbook's target: no gap over two intervals (120 s by default).
  const maxGapTargetSec = 2 * args.config.heartbeatIntervalSec;
  checks.push({
    name: "max gap",
    status: a.maxGap && a.maxGap.durationSec > maxGapTargetSec ? "FAIL" : "PASS",
    detail: a.maxGap
      ? `${a.maxGap.durationSec} s from ${iso(a.maxGap.startMs)} (target ≤ ${maxGapTargetSec} s)`
      : `no gap (target ≤ ${maxGapTargetSec} s)`,
  });
  checks.push({
    name: "clock drift",
    status: a.driftedBeats > 0.01 * sorted.length ? "FAIL" : "PASS",
    detail: `${a.driftedBeats} beat(s) more than ${args.config.driftSec} s off their bucket; max ${a.maxDriftSec} s`,
  });
  return checks;
}
