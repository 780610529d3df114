import type { ProbeType } from "../ids";
import type { ProbeResult } from "../documents/longrun";
import type { Severity } from "./incidentTypes";
import { analyseHeartbeats, type Beat, type Gap } from "./heartbeatMath";

/** The daily rollup, `rollups/{yyyy-mm-dd}`: computed from that day's documents only. */

export interface IncidentRecord {
  type: string;
  severity: Severity;
  tsStartMs: number;
  tsDetectedMs: number;
  tsEndMs: number | null;
}

export interface ProbeRecord {
  type: ProbeType;
  result: ProbeResult;
  latencyMs: number | null;
}

export interface Distribution {
  count: number;
  meanSec: number | null;
  medianSec: number | null;
  p90Sec: number | null;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : null;
  return {
    count: sorted.length,
    meanSec: mean === null ? null : Math.round(mean * 10) / 10,
    medianSec: percentile(sorted, 50),
    p90Sec: percentile(sorted, 90),
  };
}

/** MTTR from onset of incidents resolved in the window; time to detect of those opened in it. */
export function incidentStats(incidents: IncidentRecord[], fromMs: number, toMs: number) {
  const within = (ms: number | null) => ms !== null && ms >= fromMs && ms < toMs;
  const resolved = incidents.filter((i) => within(i.tsEndMs));
  const opened = incidents.filter((i) => within(i.tsStartMs));
  const byType: Record<string, number> = {};
  const bySeverity: Record<string, number> = {};
  for (const i of opened) {
    byType[i.type] = (byType[i.type] ?? 0) + 1;
    bySeverity[i.severity] = (bySeverity[i.severity] ?? 0) + 1;
  }
  return {
    opened: opened.length,
    resolved: resolved.length,
    byType,
    bySeverity,
    mttr: distribution(resolved.map((i) => Math.round((i.tsEndMs! - i.tsStartMs) / 1000))),
    timeToDetect: distribution(opened.map((i) => Math.round((i.tsDetectedMs - i.tsStartMs) / 1000))),
  };
}

export function probeStats(probes: ProbeRecord[]) {
  const out: Record<
    string,
    { pass: number; fail: number; skipped: number; passRate: number | null; meanLatencyMs: number | null }
  > = {};
  for (const type of ["OUT", "QUEUE", "IN"] as const) {
    const of = probes.filter((p) => p.type === type);
    const pass = of.filter((p) => p.result === "PASS");
    const fail = of.filter((p) => p.result === "FAIL").length;
    const latencies = pass.map((p) => p.latencyMs).filter((l): l is number => l !== null);
    out[type] = {
      pass: pass.length,
      fail,
      skipped: of.filter((p) => p.result === "SKIPPED").length,
      passRate: pass.length + fail > 0 ? Math.round((pass.length / (pass.length + fail)) * 10_000) / 10_000 : null,
      meanLatencyMs: latencies.length ? Math.round(latencies.reduce((s, v) => s + v, 0) / latencies.length) : null,
    };
  }
  return out;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const gapView = (g: Gap) => ({
  startIso: iso(g.startMs),
  endIso: iso(g.endMs),
  durationSec: g.durationSec,
  missedBeats: g.missedBeats,
  planned: g.planned,
});

/** One day's rollup. Pure: the same inputs give the same document, so a rerun changes nothing. */
export function computeRollup(args: {
  date: string;
  dayStartMs: number;
  nowMs: number;
  beats: Beat[];
  before?: Beat;
  after?: Beat;
  observableFromMs: number | null;
  intervalSec: number;
  driftSec: number;
  insufficientDataThreshold: number;
  incidents: IncidentRecord[];
  probes: ProbeRecord[];
}) {
  const toMs = args.dayStartMs + 86_400_000;
  const hb = analyseHeartbeats({
    beats: args.beats,
    before: args.before,
    after: args.after,
    fromMs: args.dayStartMs,
    toMs,
    nowMs: args.nowMs,
    observableFromMs: args.observableFromMs,
    intervalSec: args.intervalSec,
    driftSec: args.driftSec,
  });
  return {
    date: args.date,
    complete: args.nowMs >= toMs,
    heartbeat: {
      intervalSec: args.intervalSec,
      expectedBeats: hb.expectedBeats,
      observedBuckets: hb.observedBuckets,
      duplicateBeats: hb.duplicateBeats,
      driftedBeats: hb.driftedBeats,
      maxDriftSec: hb.maxDriftSec,
      coverage: hb.coverage,
      observableSec: hb.observableSec,
    },
    uptimePct: hb.uptimePct,
    maxGap: hb.maxGap ? gapView(hb.maxGap) : null,
    gapCount: hb.gapCount,
    gaps: hb.gaps.slice(0, 50).map(gapView),
    plannedDowntimeSec: hb.plannedDowntimeSec,
    unplannedDowntimeSec: hb.unplannedDowntimeSec,
    incidents: incidentStats(args.incidents, args.dayStartMs, toMs),
    probes: probeStats(args.probes),
    insufficientData: hb.coverage === null || hb.coverage < args.insufficientDataThreshold,
  };
}
export type Rollup = ReturnType<typeof computeRollup>;
