import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  paths,
  type Beat,
  type IncidentRecord,
  type ProbeRecord,
  type RollupStore,
  millisOf as ms,
} from "@wa-gateway/core";

function beat(d: FirebaseFirestore.QueryDocumentSnapshot): Beat {
  return {
    bucketId: d.id,
    serverMs: ms(d.get("serverTs"))!,
    instanceId: d.get("instanceId"),
    lockEpoch: d.get("lockEpoch"),
    afterPlannedStop: d.get("afterPlannedStop") === true,
  };
}

const BEAT_FIELDS = ["serverTs", "instanceId", "lockEpoch", "afterPlannedStop"];

/** What the daily rollup reads (one day of heartbeats, its neighbours, incidents, probes) and writes. */
export function firestoreRollupStore(db: Firestore, writer: string): RollupStore {
  const heartbeats = db.collection(paths.longrun.heartbeats);
  const incidents = db.collection(paths.longrun.incidents);
  const t = Timestamp.fromMillis;
  return {
    async beatsBetween(fromMs, toMs) {
      const snap = await heartbeats
        .where("serverTs", ">=", t(fromMs))
        .where("serverTs", "<", t(toMs))
        .select(...BEAT_FIELDS)
        .get();
      return snap.docs.map(beat);
    },
    async beatBefore(at) {
      const snap = await heartbeats
        .where("serverTs", "<", t(at))
        .orderBy("serverTs", "desc")
        .limit(1)
        .select(...BEAT_FIELDS)
        .get();
      return snap.docs[0] && beat(snap.docs[0]);
    },
    async beatAtOrAfter(at) {
      const snap = await heartbeats
        .where("serverTs", ">=", t(at))
        .orderBy("serverTs")
        .limit(1)
        .select(...BEAT_FIELDS)
        .get();
      return snap.docs[0] && beat(snap.docs[0]);
    },
    async firstBeatMs() {
      const recorded = ms((await db.doc(paths.longrun.state).get()).get("firstHeartbeatAt"));
      if (recorded !== null) return recorded;
      const snap = await heartbeats.orderBy("serverTs").limit(1).select("serverTs").get();
      return snap.docs[0] ? ms(snap.docs[0].get("serverTs")) : null;
    },
    async incidentsTouching(fromMs, toMs) {
      const [started, ended] = await Promise.all([
        incidents.where("tsStart", ">=", t(fromMs)).where("tsStart", "<", t(toMs)).get(),
        incidents.where("tsEnd", ">=", t(fromMs)).where("tsEnd", "<", t(toMs)).get(),
      ]);
      const byId = new Map([...started.docs, ...ended.docs].map((d) => [d.id, d]));
      return [...byId.values()].map((d): IncidentRecord => ({
        type: d.get("type"),
        severity: d.get("severity"),
        tsStartMs: ms(d.get("tsStart"))!,
        tsDetectedMs: ms(d.get("tsDetected")) ?? ms(d.get("tsStart"))!,
        tsEndMs: ms(d.get("tsEnd")),
      }));
    },
    async probesBetween(fromMs, toMs) {
      const snap = await db
        .collection(paths.longrun.probes)
        .where("startedAt", ">=", t(fromMs))
        .where("startedAt", "<", t(toMs))
        .get();
      return snap.docs.map((d): ProbeRecord => ({
        type: d.get("type"),
        result: d.get("result"),
        latencyMs: d.get("latencyMs") ?? null,
      }));
    },
    async recordRun(run) {
      await db.doc(paths.longrun.run(`${run.job}_${run.periodKey}`)).set({
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
      await db.doc(paths.longrun.rollup(rollup.date)).set({
        ...rollup,
        computedAt: t(meta.computedAtMs),
        trigger: meta.trigger,
        updatedAt: FieldValue.serverTimestamp(),
        updatedBy: writer,
      });
    },
  };
}
