import type { HeartbeatTrigger } from "../documents/longrun";
import { parseHeartbeatBucketId } from "../ids";

/**
 * Heartbeat arithmetic. Gaps use the server time of each beat (the worker's clock may drift);
 * coverage counts distinct bucket ids, so a beat written twice counts once.
 */

export interface Beat {
  bucketId: string;
  /** Server commit time of the beat, ms. */
  serverMs: number;
  instanceId: string;
  lockEpoch?: number;
  /** The beat that ended a gap says whether that gap followed a planned stop. */
  afterPlannedStop?: boolean;
  /** A beat written on claiming the lock lands mid-bucket by design: it is not drift. */
  trigger?: HeartbeatTrigger;
}

export interface Gap {
  /** Last beat before the gap and first beat after it (null: still open at the window's end). */
  startMs: number;
  endMs: number | null;
  durationSec: number;
  missedBeats: number;
  planned: boolean;
}

export interface HeartbeatAnalysis {
  expectedBeats: number;
  observedBuckets: number;
  duplicateBeats: number;
  driftedBeats: number;
  maxDriftSec: number;
  /** Observed distinct buckets over expected, 0..1; null when nothing was observable. */
  coverage: number | null;
  uptimePct: number | null;
  observableSec: number;
  gaps: Gap[];
  gapCount: number;
  maxGap: Gap | null;
  plannedDowntimeSec: number;
  unplannedDowntimeSec: number;
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Analyses beats in `[fromMs, toMs)`. `before` / `after` are the nearest beats outside the
 * window, so a gap across midnight is seen with its true start and end. The observable part of
 * the window starts at `observableFromMs` (the first beat ever) and ends at `nowMs`: a partial
 * day is divided by what could have been observed, not by 24 hours.
 */
export function analyseHeartbeats(args: {
  beats: Beat[];
  before?: Beat;
  after?: Beat;
  fromMs: number;
  toMs: number;
  nowMs: number;
  observableFromMs: number | null;
  intervalSec: number;
  driftSec: number;
}): HeartbeatAnalysis {
  const { fromMs, toMs, intervalSec, driftSec } = args;
  const intervalMs = intervalSec * 1000;
  const obsStart = args.observableFromMs === null ? toMs : Math.max(fromMs, args.observableFromMs);
  const obsEnd = Math.min(toMs, args.nowMs);
  const observableMs = Math.max(0, obsEnd - obsStart);

  const inWindow = args.beats.filter((b) => b.serverMs >= fromMs && b.serverMs < toMs);
  const buckets = new Set(inWindow.map((b) => b.bucketId));
  let driftedBeats = 0;
  let maxDriftSec = 0;
  for (const b of inWindow) {
    const bucket = parseHeartbeatBucketId(b.bucketId);
    if (!bucket || b.trigger === "lock_claimed") continue;
    const drift = Math.abs(b.serverMs - bucket.getTime()) / 1000;
    maxDriftSec = Math.max(maxDriftSec, drift);
    if (drift > driftSec) driftedBeats++;
  }

  // One beat per bucket, in server-time order, with the neighbours outside the window.
  const firstPerBucket = new Map<string, Beat>();
  for (const b of [...inWindow].sort((x, y) => x.serverMs - y.serverMs)) {
    if (!firstPerBucket.has(b.bucketId)) firstPerBucket.set(b.bucketId, b);
  }
  const series = [
    ...(args.before ? [args.before] : []),
    ...firstPerBucket.values(),
    ...(args.after ? [args.after] : []),
  ];

  // A gap is a bucket with no beat between two beats; lateness alone (drift) is not one.
  const bucketIndex = (b: Beat) =>
    Math.floor((parseHeartbeatBucketId(b.bucketId)?.getTime() ?? b.serverMs) / intervalMs);
  const gapThresholdMs = intervalMs + driftSec * 1000;
  const gaps: Gap[] = [];
  for (let i = 1; i < series.length; i++) {
    const prev = series[i - 1]!;
    const next = series[i]!;
    const missed = bucketIndex(next) - bucketIndex(prev) - 1;
    if (missed >= 1 && next.serverMs >= fromMs && prev.serverMs < toMs) {
      gaps.push({
        startMs: prev.serverMs,
        endMs: next.serverMs,
        durationSec: round((next.serverMs - prev.serverMs) / 1000, 3),
        missedBeats: missed,
        planned: next.afterPlannedStop === true,
      });
    }
  }
  // Silent at the end of what was observable, with no later beat: a gap still open.
  const last = series[series.length - 1];
  if (!args.after && last && obsEnd - last.serverMs > gapThresholdMs && last.serverMs < toMs) {
    const delta = obsEnd - last.serverMs;
    gaps.push({
      startMs: last.serverMs,
      endMs: null,
      durationSec: round(delta / 1000, 3),
      missedBeats: Math.max(1, Math.floor(delta / intervalMs)),
      planned: false,
    });
  }

  // Downtime: the part of each gap beyond one normal interval, clipped to the observable window.
  let plannedDowntimeMs = 0;
  let unplannedDowntimeMs = 0;
  for (const g of gaps) {
    const downStart = Math.max(g.startMs + intervalMs, obsStart);
    const downEnd = Math.min(g.endMs ?? obsEnd, obsEnd);
    const ms = Math.max(0, downEnd - downStart);
    if (g.planned) plannedDowntimeMs += ms;
    else unplannedDowntimeMs += ms;
  }

  const expectedBeats = observableMs > 0 ? Math.max(1, Math.round(observableMs / intervalMs)) : 0;
  const maxGap = gaps.reduce<Gap | null>((m, g) => (!m || g.durationSec > m.durationSec ? g : m), null);
  return {
    expectedBeats,
    observedBuckets: buckets.size,
    duplicateBeats: inWindow.length - buckets.size,
    driftedBeats,
    maxDriftSec: round(maxDriftSec, 3),
    coverage: expectedBeats > 0 ? round(Math.min(1, buckets.size / expectedBeats)) : null,
    uptimePct:
      observableMs > 0
        ? round((100 * (observableMs - plannedDowntimeMs - unplannedDowntimeMs)) / observableMs, 3)
        : null,
    observableSec: Math.round(observableMs / 1000),
    gaps,
    gapCount: gaps.length,
    maxGap,
    plannedDowntimeSec: Math.round(plannedDowntimeMs / 1000),
    unplannedDowntimeSec: Math.round(unplannedDowntimeMs / 1000),
  };
}
