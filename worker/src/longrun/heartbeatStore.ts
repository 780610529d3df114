import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { monitoringConfig, type HeartbeatTrigger, type MonitoringConfig } from "@wa-gateway/core/documents";
import { heartbeats, heartbeatState, monitoringConfigDoc } from "@wa-gateway/data";

const HEARTBEAT_RETENTION_MS = 90 * 86_400_000;

/** One beat as the holder writes it to `heartbeats/{bucketId}`. */
export interface Beat {
  bucketId: string;
  atMs: number;
  commitHash: string;
  serviceVersion: string;
  instanceId: string;
  lockEpoch: number;
  uptimeSec: number;
  memoryRssMb: number;
  memoryHeapUsedMb: number;
  connectedCount: number;
  intervalSec: number;
  /** How late the beat fired after its bucket began, by the worker's clock. */
  driftSec: number;
  afterPlannedStop: boolean;
  trigger: HeartbeatTrigger;
}

/**
 * The heartbeat writer's documents: `config/current` (watched), `state/current` (what the watchdog
 * reads) and `heartbeats/{bucketId}` (created once, never overwritten).
 */
export function heartbeatStore(db: Firestore) {
  const stateRef = heartbeatState.doc(db);
  return {
    /** The monitoring config as it changes; `null` when the document fails its schema. */
    watchConfig(onConfig: (config: MonitoringConfig | null) => void, onError: (err: Error) => void): () => void {
      return monitoringConfigDoc.ref(db).onSnapshot((snap) => {
        const parsed = monitoringConfig.safeParse(snap.data() ?? {});
        onConfig(parsed.success ? parsed.data : null);
      }, onError);
    },

    /** The last beat anyone wrote, and the last planned stop, from `state/current`. */
    async previousBeat(): Promise<{ lastMs: number | null; plannedStopMs: number | null }> {
      const state = (await stateRef.get()).data();
      return {
        lastMs: state?.lastHeartbeatAt?.toMillis() ?? null,
        plannedStopMs: state?.plannedStopAt?.toMillis() ?? null,
      };
    },

    /**
     * Creates the beat's bucket and updates `state/current` in one batch. `resumed`: the first beat
     * after a gap starts a new streak (and the very first one ever is recorded as such). Answers
     * Firestore's write time, or "duplicate" when the bucket exists (recorded on the state).
     */
    async writeBeat(
      beat: Beat,
      resumed: { isFirstEver: boolean } | null,
    ): Promise<{ writtenMs: number } | "duplicate"> {
      const batch = db.batch();
      batch.create(heartbeats.write(db, beat.bucketId), {
        bucketId: beat.bucketId,
        tsIso: new Date(beat.atMs).toISOString(),
        ts: Timestamp.fromMillis(beat.atMs),
        serverTs: FieldValue.serverTimestamp(),
        commitHash: beat.commitHash,
        serviceVersion: beat.serviceVersion,
        instanceId: beat.instanceId,
        lockEpoch: beat.lockEpoch,
        uptimeSec: beat.uptimeSec,
        memoryRssMb: beat.memoryRssMb,
        memoryHeapUsedMb: beat.memoryHeapUsedMb,
        connectedCount: beat.connectedCount,
        intervalSec: beat.intervalSec,
        driftSec: beat.driftSec,
        afterPlannedStop: beat.afterPlannedStop,
        trigger: beat.trigger,
        expireAt: Timestamp.fromMillis(beat.atMs + HEARTBEAT_RETENTION_MS),
      });
      batch.set(
        stateRef,
        {
          lastHeartbeatAt: FieldValue.serverTimestamp(),
          lastHeartbeatBucketId: beat.bucketId,
          lastHeartbeatInstanceId: beat.instanceId,
          heartbeatIntervalSec: beat.intervalSec,
          ...(resumed ? { streakStartedAt: FieldValue.serverTimestamp() } : {}),
          ...(resumed?.isFirstEver ? { firstHeartbeatAt: FieldValue.serverTimestamp() } : {}),
          updatedAt: FieldValue.serverTimestamp(),
          updatedBy: beat.instanceId,
        },
        { merge: true },
      );
      try {
        const [result] = await batch.commit();
        return { writtenMs: result!.writeTime.toMillis() };
      } catch (err) {
        if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
        // Someone already wrote this bucket (a handover inside one interval): recorded, never overwritten.
        await stateRef.set(
          { duplicateBeats: FieldValue.increment(1), lastDuplicateBucketId: beat.bucketId },
          { merge: true },
        );
        return "duplicate";
      }
    },

    /** A planned stop (SIGTERM): the gap it leaves is reported as planned. */
    async markPlannedStop(instanceId: string): Promise<void> {
      await stateRef.set(
        {
          plannedStopAt: FieldValue.serverTimestamp(),
          plannedStopBy: instanceId,
          updatedAt: FieldValue.serverTimestamp(),
        },
        { merge: true },
      );
    },
  };
}

export type HeartbeatStore = ReturnType<typeof heartbeatStore>;
