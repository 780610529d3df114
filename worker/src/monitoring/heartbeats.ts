import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  bucketStart,
  DEFAULT_MONITORING_CONFIG,
  heartbeatBucketId,
  missedHeartbeatThresholdSec,
  monitoringConfig,
  paths,
  GrpcStatus,
  grpcStatusOf,
} from "@wa-gateway/core";
import type { Logger } from "../logging/logger";
import { heartbeatLock } from "./heartbeatLock";

export const HEARTBEAT_LOCK = "heartbeat-scheduler";
const HEARTBEAT_RETENTION_MS = 90 * 86_400_000;
const STOP_BOUND_MS = 3000;
const BEAT_MARGIN_MS = 20;

export interface HeartbeatOptions {
  db: Firestore;
  instanceId: string;
  logger: Logger;
  commitHash: string;
  serviceVersion: string;
  startedAt: Date;
  connectedCount: () => number;
  leaseSec: number;
  pollSec: number;
}

export type BeatResult = "written" | "duplicate" | "not_holder";

/**
 * The long-run heartbeat: whichever instance holds the `heartbeat-scheduler` lock writes
 * `heartbeats/{bucketId}` once per interval with `create()`, and keeps `state/current` (what the
 * watchdog reads) up to date. The interval comes from `config/current`, watched live.
 */
export function startHeartbeats(o: HeartbeatOptions) {
  const lock = heartbeatLock(o.db, HEARTBEAT_LOCK, o.instanceId, o.leaseSec);
  const stateRef = o.db.doc(paths.longrun.state);
  let intervalSec = DEFAULT_MONITORING_CONFIG.heartbeatIntervalSec;
  let driftSec = DEFAULT_MONITORING_CONFIG.driftSec;
  let stopped = false;
  let lockTimer: NodeJS.Timeout | undefined;
  let beatTimer: NodeJS.Timeout | undefined;
  /** Server time of our own last beat, to tell a continuing streak from a resumed one. */
  let lastBeatServerMs: number | null = null;
  let pending: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = pending.then(fn, fn);
    pending = run.catch(() => undefined);
    return run;
  };

  // The first beat waits for the configured interval, so no bucket is cut to the default by mistake.
  let configReady!: () => void;
  const configLoaded = new Promise<void>((resolve) => (configReady = resolve));
  const unsubscribeConfig = o.db.doc(paths.longrun.config).onSnapshot(
    (snap) => {
      configReady();
      const parsed = monitoringConfig.safeParse(snap.data() ?? {});
      if (!parsed.success) {
        o.logger.warn({ intervalSec }, "heartbeat_config_invalid_kept_last");
        return;
      }
      if (parsed.data.heartbeatIntervalSec !== intervalSec) {
        o.logger.info({ from: intervalSec, to: parsed.data.heartbeatIntervalSec }, "heartbeat_interval_changed");
        intervalSec = parsed.data.heartbeatIntervalSec;
        scheduleBeat();
      }
      driftSec = parsed.data.driftSec;
    },
    (err) => {
      configReady();
      o.logger.warn({ err: err.message }, "heartbeat_config_listener_failed");
    },
  );

  async function beat(): Promise<BeatResult> {
    const now = Date.now();
    const holding = lock.holds();
    if (!holding) return "not_holder";
    const bucket = bucketStart(new Date(now), intervalSec);
    const bucketId = heartbeatBucketId(bucket, intervalSec);
    const memory = process.memoryUsage();

    // What the previous beat (ours or another instance's) left: a planned stop, or a gap we end.
    let afterPlannedStop = false;
    let resumed: { isFirstEver: boolean } | null = null;
    const thresholdMs = missedHeartbeatThresholdSec({ heartbeatIntervalSec: intervalSec, driftSec }) * 1000;
    if (lastBeatServerMs === null || now - lastBeatServerMs > thresholdMs) {
      const state = (await stateRef.get()).data();
      const prevMs = (state?.lastHeartbeatAt as Timestamp | undefined)?.toMillis() ?? null;
      const plannedMs = (state?.plannedStopAt as Timestamp | undefined)?.toMillis() ?? null;
      afterPlannedStop = prevMs !== null && plannedMs !== null && plannedMs >= prevMs;
      if (prevMs === null || now - prevMs > thresholdMs) resumed = { isFirstEver: prevMs === null };
    }

    const batch = o.db.batch();
    batch.create(o.db.doc(paths.longrun.heartbeat(bucketId)), {
      bucketId,
      tsIso: new Date(now).toISOString(),
      ts: Timestamp.fromMillis(now),
      serverTs: FieldValue.serverTimestamp(),
      commitHash: o.commitHash,
      serviceVersion: o.serviceVersion,
      instanceId: o.instanceId,
      lockEpoch: holding.epoch,
      uptimeSec: Math.round((now - o.startedAt.getTime()) / 1000),
      memoryRssMb: Math.round(memory.rss / 2 ** 20),
      memoryHeapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
      connectedCount: o.connectedCount(),
      intervalSec,
      // How late this beat fired after its bucket began, by this machine's clock.
      driftSec: Math.round((now - bucket.getTime()) / 100) / 10,
      afterPlannedStop,
      expireAt: Timestamp.fromMillis(now + HEARTBEAT_RETENTION_MS),
    });
    batch.set(
      stateRef,
      {
        lastHeartbeatAt: FieldValue.serverTimestamp(),
        lastHeartbeatBucketId: bucketId,
        lastHeartbeatInstanceId: o.instanceId,
        heartbeatIntervalSec: intervalSec,
        ...(resumed ? { streakStartedAt: FieldValue.serverTimestamp() } : {}),
        ...(resumed?.isFirstEver ? { firstHeartbeatAt: FieldValue.serverTimestamp() } : {}),
        updatedAt: FieldValue.serverTimestamp(),
        updatedBy: o.instanceId,
      },
      { merge: true },
    );
    try {
      const [result] = await batch.commit();
      const serverMs = result!.writeTime.toMillis();
      lastBeatServerMs = serverMs;
      const skewSec = Math.round((serverMs - now) / 100) / 10;
      o.logger.debug({ bucketId, epoch: holding.epoch, skewSec }, "heartbeat_written");
      if (Math.abs(skewSec) > driftSec) o.logger.warn({ bucketId, skewSec, driftSec }, "heartbeat_clock_drift");
      if (resumed) o.logger.info({ bucketId, afterPlannedStop }, "heartbeats_resumed");
      return "written";
    } catch (err) {
      if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
      // Someone already wrote this bucket (a handover inside one interval): recorded, never overwritten.
      await stateRef.set({ duplicateBeats: FieldValue.increment(1), lastDuplicateBucketId: bucketId }, { merge: true });
      o.logger.warn({ bucketId, epoch: holding.epoch }, "heartbeat_duplicate_bucket");
      return "duplicate";
    }
  }

  function scheduleBeat(): void {
    clearTimeout(beatTimer);
    if (stopped) return;
    const now = Date.now();
    const next = bucketStart(new Date(now), intervalSec).getTime() + intervalSec * 1000;
    // A timer may fire a millisecond early; the margin keeps the beat inside its new bucket.
    beatTimer = setTimeout(
      () => {
        void serial(beat)
          .catch((err: Error) => o.logger.error({ err }, "heartbeat_failed"))
          .finally(scheduleBeat);
      },
      next - now + BEAT_MARGIN_MS,
    );
  }

  async function lockTick(): Promise<void> {
    const was = lock.holds();
    const attempt = await lock.tick();
    if (attempt === "acquired") {
      o.logger.info({ lock: HEARTBEAT_LOCK, epoch: lock.holds()?.epoch }, "heartbeat_lock_acquired");
      // Beat at once: the bucket the previous holder missed is the one the watchdog is waiting for.
      await beat();
    } else if (attempt === "lost") {
      o.logger.warn({ lock: HEARTBEAT_LOCK, epoch: was?.epoch }, "heartbeat_lock_lost");
    }
  }

  function scheduleLock(): void {
    if (stopped) return;
    lockTimer = setTimeout(() => {
      void serial(lockTick)
        .catch((err: Error) => o.logger.warn({ err: err.message }, "heartbeat_lock_tick_failed"))
        .finally(scheduleLock);
    }, o.pollSec * 1000);
  }

  void serial(async () => {
    await configLoaded;
    await lockTick();
  })
    .catch((err: Error) => o.logger.warn({ err: err.message }, "heartbeat_lock_tick_failed"))
    .finally(() => {
      scheduleLock();
      scheduleBeat();
    });

  return {
    holds: () => lock.holds() !== null,
    beatNow: () => serial(beat),
    /** Planned stop (SIGTERM): mark it so the gap it leaves is reported as planned, then hand the lock over. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(lockTimer);
      clearTimeout(beatTimer);
      unsubscribeConfig();
      // A standby has nothing to hand over, and must not wait behind a lock read that hangs.
      if (!lock.holds()) return lock.abandon();
      const handover = serial(async () => {
        if (!lock.holds()) return lock.abandon();
        await stateRef.set(
          {
            plannedStopAt: FieldValue.serverTimestamp(),
            plannedStopBy: o.instanceId,
            updatedAt: FieldValue.serverTimestamp(),
          },
          { merge: true },
        );
        await lock.release();
        o.logger.info({ lock: HEARTBEAT_LOCK }, "heartbeat_lock_released");
      });
      // Bounded: if Firestore is gone the lease simply expires.
      await Promise.race([handover, new Promise((resolve) => setTimeout(resolve, STOP_BOUND_MS).unref())]);
    },
  };
}
export type Heartbeats = ReturnType<typeof startHeartbeats>;
