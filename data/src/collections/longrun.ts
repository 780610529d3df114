import { Timestamp, type DocumentData, type Firestore, type Query } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf, paths } from "@wa-gateway/core";
import {
  heartbeatDocument,
  incidentDocument,
  lockDocument,
  monitoringState,
  probeDocument,
  rollupDocument,
  runDocument,
  securityEventDocument,
  unhandledStanzaDocument,
  watchdogState,
} from "@wa-gateway/core/documents";
import { documentKind } from "../document";

/**
 * The documents under `wa_metrics/longrun/` (the operators' runbook names these paths). Who
 * writes each: the heartbeat holder (worker/src/monitoring) writes state, locks and heartbeats;
 * the monitoring jobs (functions/src/stores) write the rest; the operator commands only read.
 */

const stateKind = documentKind(monitoringState);
const watchdogKind = documentKind(watchdogState);
const lockKind = documentKind(lockDocument);
const heartbeatKind = documentKind(heartbeatDocument);
const probeKind = documentKind(probeDocument);
const incidentKind = documentKind(incidentDocument);
const rollupKind = documentKind(rollupDocument);
const runKind = documentKind(runDocument);
const securityEventKind = documentKind(securityEventDocument);
const unhandledStanzaKind = documentKind(unhandledStanzaDocument);

/** `unhandledStanzas/{kind}__{type}`: written by the workers at a first sighting per account; read by the watchdog. */
export const unhandledStanzas = {
  kind: unhandledStanzaKind,
  write: (db: Firestore, kind: string, type: string) =>
    unhandledStanzaKind.writeRef(db, paths.longrun.unhandledStanza(kind, type)),
  all: (db: Firestore) => unhandledStanzaKind.query(db, paths.longrun.unhandledStanzas),
};

/** The documents of `query` whose Timestamp `field` is in [fromMs, toMs), oldest first. */
function within<T>(query: Query<T, DocumentData>, field: string, fromMs: number, toMs: number): Query<T, DocumentData> {
  return query
    .where(field, ">=", Timestamp.fromMillis(fromMs))
    .where(field, "<", Timestamp.fromMillis(toMs))
    .orderBy(field);
}

/**
 * `config/current`: edited by operators in the console, so it is read raw and resolved by
 * core's resolveMonitoringConfig (a bad edit falls back to the last good config, never throws).
 */
export const monitoringConfigDoc = {
  ref: (db: Firestore) => db.doc(paths.longrun.config),
  async read(db: Firestore): Promise<unknown> {
    return (await db.doc(paths.longrun.config).get()).data();
  },
};

/** `state/current`: the heartbeat holder's summary, read by the watchdog instead of scanning beats. */
export const heartbeatState = {
  kind: stateKind,
  doc: (db: Firestore) => stateKind.ref(db, paths.longrun.state),
};

/** `state/watchdog`: the monitoring jobs' own memory (last runs, last good config, notices). */
export const watchdogMemory = {
  kind: watchdogKind,
  doc: (db: Firestore) => watchdogKind.ref(db, paths.longrun.watchdogState),
};

/** `locks/{name}`: the heartbeat lock (worker/src/monitoring/heartbeatLock.ts). */
export const locks = {
  kind: lockKind,
  doc: (db: Firestore, name: string) => lockKind.ref(db, paths.longrun.lock(name)),
  write: (db: Firestore, name: string) => lockKind.writeRef(db, paths.longrun.lock(name)),
};

/** `heartbeats/{bucketId}`: created once per bucket by the heartbeat holder; read by the watchdog, rollup and reports. */
export const heartbeats = {
  kind: heartbeatKind,
  write: (db: Firestore, bucketId: string) => heartbeatKind.writeRef(db, paths.longrun.heartbeat(bucketId)),
  all: (db: Firestore) => heartbeatKind.query(db, paths.longrun.heartbeats),
  /** Beats committed in [fromMs, toMs), by server time, oldest first. */
  between: (db: Firestore, fromMs: number, toMs: number) => within(heartbeats.all(db), "serverTs", fromMs, toMs),
};

/** `probes/{probeKey}`: written by the probes job; read by it, the rollup and the reports. */
export const probes = {
  kind: probeKind,
  doc: (db: Firestore, key: string) => probeKind.ref(db, paths.longrun.probe(key)),
  write: (db: Firestore, key: string) => probeKind.writeRef(db, paths.longrun.probe(key)),
  all: (db: Firestore) => probeKind.query(db, paths.longrun.probes),
  /** Probes started in [fromMs, toMs), oldest first. */
  startedBetween: (db: Firestore, fromMs: number, toMs: number) => within(probes.all(db), "startedAt", fromMs, toMs),
};

/** `incidents/{incidentId}`: written by the monitoring jobs (reconcileIncidents decides); read by the rollup and the reports. */
export const incidents = {
  kind: incidentKind,
  doc: (db: Firestore, id: string) => incidentKind.ref(db, paths.longrun.incident(id)),
  write: (db: Firestore, id: string) => incidentKind.writeRef(db, paths.longrun.incident(id)),
  all: (db: Firestore) => incidentKind.query(db, paths.longrun.incidents),
  /** The queries for incidents that started or ended in [fromMs, toMs); `includeOpen` adds every open one. */
  touchingQueries(db: Firestore, fromMs: number, toMs: number, { includeOpen = false } = {}) {
    const all = incidents.all(db);
    const [from, to] = [Timestamp.fromMillis(fromMs), Timestamp.fromMillis(toMs)];
    return [
      all.where("tsStart", ">=", from).where("tsStart", "<", to),
      all.where("tsEnd", ">=", from).where("tsEnd", "<", to),
      ...(includeOpen ? [all.where("status", "==", "open")] : []),
    ];
  },
  /** Incidents that started or ended in [fromMs, toMs), each once, by start. */
  async touching(db: Firestore, fromMs: number, toMs: number) {
    const snaps = await Promise.all(incidents.touchingQueries(db, fromMs, toMs).map((q) => q.get()));
    const byId = new Map(snaps.flatMap((s) => s.docs).map((d) => [d.id, d.data()]));
    return [...byId.values()].sort((a, b) => a.tsStart.toMillis() - b.tsStart.toMillis());
  },
};

/** `rollups/{date}`: written by the daily rollup; read by `npm run report`. */
export const rollups = {
  kind: rollupKind,
  doc: (db: Firestore, date: string) => rollupKind.ref(db, paths.longrun.rollup(date)),
  write: (db: Firestore, date: string) => rollupKind.writeRef(db, paths.longrun.rollup(date)),
  all: (db: Firestore) => rollupKind.query(db, paths.longrun.rollups),
};

/** `runs/{job}_{periodKey}`: each job's last run for a period, for audit. */
export const runs = {
  kind: runKind,
  doc: (db: Firestore, runKey: string) => runKind.ref(db, paths.longrun.run(runKey)),
  write: (db: Firestore, runKey: string) => runKind.writeRef(db, paths.longrun.run(runKey)),
};

/** `securityEvents/{autoId}`: refused cross-tenant accesses (functions/src/lib/securityEvents.ts); counted by go-no-go. */
export const securityEvents = {
  kind: securityEventKind,
  all: (db: Firestore) => securityEventKind.query(db, paths.longrun.securityEvents),
  /** A new event's reference (an automatic id: events are many and unordered). */
  create: (db: Firestore) =>
    securityEventKind.writeRef(
      db,
      `${paths.longrun.securityEvents}/${db.collection(paths.longrun.securityEvents).doc().id}`,
    ),
  doc: (db: Firestore, eventId: string) => securityEventKind.ref(db, `${paths.longrun.securityEvents}/${eventId}`),
  /** Those recorded in [fromMs, toMs), oldest first, with their ids. */
  async between(db: Firestore, fromMs: number, toMs: number) {
    const q = securityEvents
      .all(db)
      .where("at", ">=", Timestamp.fromMillis(fromMs))
      .where("at", "<", Timestamp.fromMillis(toMs))
      .orderBy("at");
    return (await q.get()).docs.map((d) => ({ id: d.id, ...d.data() }));
  },
  /** How many recorded in [fromMs, toMs) nobody has reviewed yet (go-no-go). */
  async unreviewedBetween(db: Firestore, fromMs: number, toMs: number): Promise<number> {
    return (await securityEvents.between(db, fromMs, toMs)).filter((e) => !e.review).length;
  },
  /** Records an operator's review; "missing" when there is no such event. */
  async review(
    db: Firestore,
    eventId: string,
    review: { by: string; note: string; atMs: number },
  ): Promise<"reviewed" | "missing"> {
    // An update of a document that does not exist fails NOT_FOUND: no read needed first.
    const at = Timestamp.fromMillis(review.atMs);
    return securityEvents
      .doc(db, eventId)
      .update({ review: { by: review.by, note: review.note, at }, updatedBy: review.by })
      .then(
        () => "reviewed" as const,
        (err: unknown) => {
          if (grpcStatusOf(err) === GrpcStatus.NOT_FOUND) return "missing" as const;
          throw err;
        },
      );
  },
};
