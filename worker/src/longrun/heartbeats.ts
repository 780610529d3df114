import { bucketStart, heartbeatBucketId } from "@wa-gateway/core";
import { DEFAULT_MONITORING_CONFIG, type HeartbeatTrigger } from "@wa-gateway/core/documents";
import { missedHeartbeatThresholdSec } from "@wa-gateway/core/longrun";
import type { Logger } from "../logging/logger";
import type { HeartbeatLock } from "./heartbeatLock";
import type { HeartbeatStore } from "./heartbeatStore";

export const HEARTBEAT_LOCK = "heartbeat-scheduler";
const STOP_BOUND_MS = 3000;
const BEAT_MARGIN_MS = 20;

export interface HeartbeatOptions {
  store: HeartbeatStore;
  /** The `heartbeat-scheduler` lock: only its holder writes beats. */
  lock: HeartbeatLock;
  instanceId: string;
  logger: Logger;
  commitHash: string;
  serviceVersion: string;
  startedAt: Date;
  connectedCount: () => number;
  /** How often the lock is renewed by its holder, or looked at by a standby. */
  pollSec: number;
}

export type BeatResult = "written" | "duplicate" | "not_holder";

/**
 * The long-run heartbeat: whichever instance holds the `heartbeat-scheduler` lock writes
 * `heartbeats/{bucketId}` once per interval with `create()`, and keeps `state/current` (what the
 * watchdog reads) up to date. The interval comes from `config/current`, watched live.
 */
export function startHeartbeats(o: HeartbeatOptions) {
  const { lock, store } = o;
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
  const unsubscribeConfig = store.watchConfig(
    (config) => {
      configReady();
      if (!config) {
        o.logger.warn({ intervalSec }, "heartbeat_config_invalid_kept_last");
        return;
      }
      if (config.heartbeatIntervalSec !== intervalSec) {
        o.logger.info({ from: intervalSec, to: config.heartbeatIntervalSec }, "heartbeat_interval_changed");
        intervalSec = config.heartbeatIntervalSec;
        scheduleBeat();
      }
      driftSec = config.driftSec;
    },
    (err) => {
      configReady();
      o.logger.warn({ err: err.message }, "heartbeat_config_listener_failed");
    },
  );

  async function beat(trigger: HeartbeatTrigger): Promise<BeatResult> {
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
      const { lastMs: prevMs, plannedStopMs: plannedMs } = await store.previousBeat();
      afterPlannedStop = prevMs !== null && plannedMs !== null && plannedMs >= prevMs;
      if (prevMs === null || now - prevMs > thresholdMs) resumed = { isFirstEver: prevMs === null };
    }

    const written = await store.writeBeat(
      {
        bucketId,
        atMs: now,
        commitHash: o.commitHash,
        serviceVersion: o.serviceVersion,
        instanceId: o.instanceId,
        lockEpoch: holding.epoch,
        uptimeSec: Math.round((now - o.startedAt.getTime()) / 1000),
        memoryRssMb: Math.round(memory.rss / 2 ** 20),
        memoryHeapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
        connectedCount: o.connectedCount(),
        intervalSec,
        driftSec: Math.round((now - bucket.getTime()) / 100) / 10,
        afterPlannedStop,
        trigger,
      },
      resumed,
    );
    if (written === "duplicate") {
      o.logger.warn({ bucketId, epoch: holding.epoch }, "heartbeat_duplicate_bucket");
      return "duplicate";
    }
    lastBeatServerMs = written.writtenMs;
    const skewSec = Math.round((written.writtenMs - now) / 100) / 10;
    o.logger.debug({ bucketId, epoch: holding.epoch, skewSec }, "heartbeat_written");
    if (Math.abs(skewSec) > driftSec) o.logger.warn({ bucketId, skewSec, driftSec }, "heartbeat_clock_drift");
    if (resumed) o.logger.info({ bucketId, afterPlannedStop }, "heartbeats_resumed");
    return "written";
  }

  function scheduleBeat(): void {
    clearTimeout(beatTimer);
    if (stopped) return;
    const now = Date.now();
    const next = bucketStart(new Date(now), intervalSec).getTime() + intervalSec * 1000;
    // A timer may fire a millisecond early; the margin keeps the beat inside its new bucket.
    beatTimer = setTimeout(
      () => {
        void serial(() => beat("schedule"))
          .catch((err: Error) => o.logger.error({ err }, "heartbeat_failed"))
          .finally(scheduleBeat);
      },
      next - now + BEAT_MARGIN_MS,
    );
  }

  async function lockTick(): Promise<void> {
    const was = lock.holds();
    const attempt = await lock.tick();
    if (attempt === "claimed") {
      o.logger.info({ lock: HEARTBEAT_LOCK, epoch: lock.holds()?.epoch }, "heartbeat_lock_acquired");
      // Beat at once: the bucket the previous holder missed is the one the watchdog is waiting for.
      await beat("lock_claimed");
    } else if (attempt === "fenced") {
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
    beatNow: () => serial(() => beat("schedule")),
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
        await store.markPlannedStop(o.instanceId);
        await lock.release();
        o.logger.info({ lock: HEARTBEAT_LOCK }, "heartbeat_lock_released");
      });
      // Bounded: if Firestore is gone the lease simply expires.
      await Promise.race([handover, new Promise((resolve) => setTimeout(resolve, STOP_BOUND_MS).unref())]);
    },
  };
}
export type Heartbeats = ReturnType<typeof startHeartbeats>;
