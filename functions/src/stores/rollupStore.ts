import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { HeartbeatDocument } from "@wa-gateway/core/documents";
import type { Beat, IncidentRecord, ProbeRecord, RollupStore } from "@wa-gateway/core/longrun";
import { heartbeats, heartbeatState, incidents, probes, rollups, runs } from "@wa-gateway/data";

const beat = (bucketId: string, d: Pick<HeartbeatDocument, (typeof BEAT_FIELDS)[number]>): Beat => ({
  bucketId,
  serverMs: d.serverTs.toMillis(),
  instanceId: d.instanceId,
  lockEpoch: d.lockEpoch,
  afterPlannedStop: d.afterPlannedStop,
  ...(d.trigger ? { trigger: d.trigger } : {}),
});

const BEAT_FIELDS = ["serverTs", "instanceId", "lockEpoch", "afterPlannedStop", "trigger"] as const;

/** What the daily rollup reads (one day of heartbeats, its neighbours, incidents, probes) and writes. */
export function firestoreRollupStore(db: Firestore, writer: string): RollupStore {
  const all = heartbeats.all(db);
  const t = Timestamp.fromMillis;
  const first = async (query: FirebaseFirestore.Query<Pick<HeartbeatDocument, (typeof BEAT_FIELDS)[number]>>) => {
    const doc = (await query.limit(1).get()).docs[0];
    return doc && beat(doc.id, doc.data());
  };
  return {
    async beatsBetween(fromMs, toMs) {
      const snap = await heartbeats.kind.select(heartbeats.between(db, fromMs, toMs), ...BEAT_FIELDS).get();
      return snap.docs.map((d) => beat(d.id, d.data()));
    },
    beatBefore: (at) =>
      first(heartbeats.kind.select(all.where("serverTs", "<", t(at)).orderBy("serverTs", "desc"), ...BEAT_FIELDS)),
    beatAtOrAfter: (at) =>
      first(heartbeats.kind.select(all.where("serverTs", ">=", t(at)).orderBy("serverTs"), ...BEAT_FIELDS)),
    async firstBeatMs() {
      const recorded = (await heartbeatState.doc(db).get()).data()?.firstHeartbeatAt?.toMillis();
      if (recorded !== undefined) return recorded;
      const snap = await heartbeats.kind.select(all.orderBy("serverTs"), "serverTs").limit(1).get();
      return snap.docs[0]?.data().serverTs.toMillis() ?? null;
    },
    async incidentsTouching(fromMs, toMs) {
      return (await incidents.touching(db, fromMs, toMs)).map((d): IncidentRecord => ({
        type: d.type,
        severity: d.severity,
        tsStartMs: d.tsStart.toMillis(),
        tsDetectedMs: d.tsDetected.toMillis(),
        tsEndMs: d.tsEnd?.toMillis() ?? null,
      }));
    },
    async probesBetween(fromMs, toMs) {
      const snap = await probes.startedBetween(db, fromMs, toMs).get();
      return snap.docs.map((d): ProbeRecord => {
        const { type, result, latencyMs } = d.data();
        return { type, result, latencyMs };
      });
    },
    async recordRun(run) {
      await runs.write(db, `${run.job}_${run.periodKey}`).set({
        job: run.job,
        periodKey: run.periodKey,
        status: run.status,
        trigger: run.trigger,
        startedAt: t(run.startedMs),
        finishedAt: FieldValue.serverTimestamp(),
        error: run.error,
        updatedBy: writer,
      });
    },
    async writeRollup(rollup, meta) {
      // Rollups are kept for good: no expireAt.
      await rollups.write(db, rollup.date).set({
        ...rollup,
        computedAt: t(meta.computedAtMs),
        trigger: meta.trigger,
        updatedAt: FieldValue.serverTimestamp(),
        updatedBy: writer,
      });
    },
  };
}
