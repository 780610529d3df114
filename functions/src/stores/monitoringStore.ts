import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  alertLines,
  CLAIM_STALE_MS,
  collections,
  DEFAULT_MONITORING_CONFIG,
  INCIDENT_TYPES,
  paths,
  reconcileIncidents,
  noticeId,
  resolveMonitoringConfig,
  type AlertLine,
  type ConfigResolution,
  type IncidentType,
  type MonitoringStore,
  type OpenIncident,
  type WatchedAccount,
  GrpcStatus,
  millisOf as ms,
} from "@wa-gateway/core";

/** A resolution notice a run has claimed for sending, until it confirms Telegram took it. */
interface PendingNotice {
  line: AlertLine;
  claimedAtMs: number;
}

const withoutNotices = (pending: PendingNotice[], lines: AlertLine[]) => {
  const gone = new Set(lines.map(noticeId));
  return pending.filter((n) => !gone.has(noticeId(n.line)));
};

const INCIDENT_RETENTION_MS = 365 * 86_400_000;
const ts = (value: number) => Timestamp.fromMillis(value);
const iso = (value: number) => new Date(value).toISOString();

/**
 * Firestore side of the watchdog. One instance per job run: the watchdog's own document is read
 * once per run. Accounts are counted with aggregations and read one by one only when they may
 * be in trouble, so a run's reads and documents do not grow with the number of accounts.
 */
export function firestoreMonitoringStore(db: Firestore, writer: string): MonitoringStore {
  const watchdogRef = db.doc(paths.longrun.watchdogState);
  let watchdogDoc: Promise<FirebaseFirestore.DocumentData | undefined> | undefined;
  const watchdog = () => (watchdogDoc ??= watchdogRef.get().then((s) => s.data()));
  let config: Promise<ConfigResolution> | undefined;
  const heartbeats = db.collection(paths.longrun.heartbeats);
  const outbox = db.collection(collections.outbox);
  const accounts = db.collection(collections.accounts);
  const count = async (q: FirebaseFirestore.Query) => (await q.count().get()).data().count;

  async function loadConfig(): Promise<ConfigResolution> {
    const ref = db.doc(paths.longrun.config);
    const snap = await ref.get();
    if (!snap.exists) {
      // First run anywhere: write the runbook's defaults for operators to edit.
      await ref
        .create({ ...DEFAULT_MONITORING_CONFIG, createdAt: FieldValue.serverTimestamp(), createdBy: writer })
        .catch((err: { code?: number }) => {
          if (err.code !== GrpcStatus.ALREADY_EXISTS) throw err;
        });
      return resolveMonitoringConfig(undefined, undefined);
    }
    return resolveMonitoringConfig(snap.data(), (await watchdog())?.lastGoodConfig);
  }

  /** Read-modify-write of the notice lists on state/watchdog, in a transaction (runs may overlap). */
  function updateNotices(
    change: (pending: PendingNotice[], deferred: AlertLine[]) => Record<string, unknown>,
  ): Promise<void> {
    return db.runTransaction(async (tx) => {
      const snap = await tx.get(watchdogRef);
      const fields = change(
        (snap.get("pendingNotices") as PendingNotice[] | undefined) ?? [],
        (snap.get("deferredNotices") as AlertLine[] | undefined) ?? [],
      );
      tx.set(watchdogRef, { ...fields, updatedAt: FieldValue.serverTimestamp(), updatedBy: writer }, { merge: true });
    });
  }

  return {
    loadConfig: () => (config ??= loadConfig()),

    async heartbeatState() {
      const s = (await db.doc(paths.longrun.state).get()).data() ?? {};
      return {
        lastHeartbeatMs: ms(s.lastHeartbeatAt),
        lastInstanceId: typeof s.lastHeartbeatInstanceId === "string" ? s.lastHeartbeatInstanceId : null,
        streakStartedMs: ms(s.streakStartedAt),
        firstHeartbeatMs: ms(s.firstHeartbeatAt),
        plannedStopMs: ms(s.plannedStopAt),
      };
    },

    async heartbeatCounts(nowMs) {
      const [lastHour, last24h] = await Promise.all([
        count(heartbeats.where("serverTs", ">=", ts(nowMs - 3_600_000))),
        count(heartbeats.where("serverTs", ">=", ts(nowMs - 86_400_000))),
      ]);
      return { lastHour, last24h };
    },

    async outboxView(nowMs) {
      const since = ts(nowMs - 5 * 60_000);
      const [queuedCount, failedLast5m, oldest] = await Promise.all([
        count(outbox.where("status", "==", "queued")),
        count(outbox.where("status", "==", "failed").where("updatedAt", ">=", since)),
        outbox.where("status", "==", "queued").orderBy("createdAt").limit(1).get(),
      ]);
      const oldestMs = ms(oldest.docs[0]?.get("createdAt"));
      return {
        queuedCount,
        failedLast5m,
        oldestQueuedAgeSec: oldestMs === null ? 0 : Math.max(0, Math.round((nowMs - oldestMs) / 1000)),
      };
    },

    async accountCounts(nowMs) {
      const [live, connected] = await Promise.all([
        count(accounts.where("status", "!=", "removed")),
        count(accounts.where("status", "==", "connected").where("owner.leaseUntil", ">", ts(nowMs))),
      ]);
      return { live, connected };
    },

    async watchedAccounts(nowMs) {
      const fields = ["status", "recentDisconnects", "inboundStuckSince"];
      const [loggedOut, disconnected, inboundStuck, openAccountIncidents] = await Promise.all([
        accounts
          .where("status", "==", "logged_out")
          .select(...fields)
          .get(),
        accounts
          .where("lastDisconnect.at", ">", ts(nowMs - 3_600_000))
          .select(...fields)
          .get(),
        accounts
          .where("inboundStuckSince", ">", ts(0))
          .select(...fields)
          .get(),
        db
          .collection(paths.longrun.incidents)
          .where("status", "==", "open")
          .where("type", "in", ["logged_out", "reconnect_loop", "inbound_backlog"])
          .select("key")
          .get(),
      ]);
      const found = new Map(
        [...loggedOut.docs, ...disconnected.docs, ...inboundStuck.docs].map((d) => [d.id, d.data()]),
      );
      const named = [...new Set(openAccountIncidents.docs.map((d) => String(d.get("key"))))].filter(
        (id) => !found.has(id),
      );
      if (named.length) {
        const refs = named.map((id) => db.doc(paths.account(id)));
        for (const snap of await db.getAll(...refs, { fieldMask: fields })) {
          // A deleted account still gets an evaluation, so its incidents resolve.
          found.set(snap.id, snap.exists ? snap.data()! : { status: "removed" });
        }
      }
      return [...found].map(([id, data]): WatchedAccount => ({
        id,
        status: data.status,
        recentDisconnectsMs: ((data.recentDisconnects ?? []) as Timestamp[]).map((t) => t.toMillis()),
        inboundStuckSinceMs: data.inboundStuckSince ? (data.inboundStuckSince as Timestamp).toMillis() : null,
      }));
    },

    applyIncidents({ nowMs, evaluations, repeatMs, run }) {
      const incidents = db.collection(paths.longrun.incidents);
      return db.runTransaction(async (tx) => {
        let deferred: AlertLine[] = [];
        let stillClaimed: PendingNotice[] = [];
        if (run) {
          const snap = await tx.get(watchdogRef);
          const last = snap.get(`lastRun.${run.job}`) as number | undefined;
          if (last !== undefined && last >= run.scheduleMs) return { status: "duplicate_run" as const };
          // Notices refused earlier, and those a run claimed but never confirmed (it was killed).
          const pending = (snap.get("pendingNotices") as PendingNotice[] | undefined) ?? [];
          const stale = (n: PendingNotice) => nowMs - n.claimedAtMs >= CLAIM_STALE_MS;
          deferred = [
            ...((snap.get("deferredNotices") as AlertLine[] | undefined) ?? []),
            ...pending.filter(stale).map((n) => n.line),
          ];
          stillClaimed = pending.filter((n) => !stale(n));
        }
        const openSnap = await tx.get(incidents.where("status", "==", "open"));
        const open: OpenIncident[] = openSnap.docs.map((d) => ({
          id: d.id,
          type: d.get("type") as IncidentType,
          key: d.get("key") as string,
          tsStartMs: ms(d.get("tsStart"))!,
          lastNotifiedMs: ms(d.get("lastNotifiedAt")),
          notifyPending: d.get("notifyPending") === true,
        }));
        const actions = reconcileIncidents({ open, evaluations, nowMs, repeatMs });
        for (const a of actions) {
          if (a.kind === "open") {
            const e = a.evaluation;
            tx.create(incidents.doc(a.id), {
              type: e.type,
              key: e.key,
              severity: INCIDENT_TYPES[e.type].severity,
              status: "open",
              reason: e.reason,
              planned: e.planned ?? false,
              tsStart: ts(a.tsStartMs),
              tsStartIso: iso(a.tsStartMs),
              tsDetected: ts(nowMs),
              tsEnd: null,
              mttrSec: null,
              lastNotifiedAt: a.notify ? ts(nowMs) : null,
              notifyPending: a.notify,
              notifyCount: a.notify ? 1 : 0,
              expireAt: ts(a.tsStartMs + INCIDENT_RETENTION_MS),
              updatedAt: FieldValue.serverTimestamp(),
              updatedBy: writer,
            });
          } else if (a.kind === "remind") {
            tx.update(incidents.doc(a.id), {
              reason: a.reason,
              lastNotifiedAt: ts(nowMs),
              notifyPending: true,
              notifyCount: FieldValue.increment(1),
              updatedAt: FieldValue.serverTimestamp(),
              updatedBy: writer,
            });
          } else {
            tx.update(incidents.doc(a.id), {
              status: "resolved",
              tsEnd: ts(a.tsEndMs),
              tsEndIso: iso(a.tsEndMs),
              mttrSec: a.mttrSec,
              expireAt: ts(a.tsEndMs + INCIDENT_RETENTION_MS),
              updatedAt: FieldValue.serverTimestamp(),
              updatedBy: writer,
            });
          }
        }
        if (run) {
          tx.set(
            watchdogRef,
            {
              lastRun: { [run.job]: run.scheduleMs },
              // Left by versions that sampled every account here (it outgrew the document at scale).
              reconnectHistory: FieldValue.delete(),
              ...(run.lastGoodConfig ? { lastGoodConfig: run.lastGoodConfig } : {}),
              deferredNotices: [],
              // Claimed by this run until it confirms delivery; a later run takes over what is left.
              pendingNotices: [
                ...stillClaimed,
                ...[...deferred, ...alertLines(actions).filter((l) => l.kind === "resolve")].map((line) => ({
                  line,
                  claimedAtMs: nowMs,
                })),
              ],
              updatedAt: FieldValue.serverTimestamp(),
              updatedBy: writer,
            },
            {
              mergeFields: [
                "lastRun." + run.job,
                "updatedAt",
                "updatedBy",
                "deferredNotices",
                "pendingNotices",
                "reconnectHistory",
                ...(run.lastGoodConfig ? ["lastGoodConfig"] : []),
              ],
            },
          );
        }
        return { status: "applied" as const, actions, deferred };
      });
    },

    async deferNotices(lines) {
      if (lines.length === 0) return;
      await updateNotices((pending, deferredNotices) => ({
        pendingNotices: withoutNotices(pending, lines),
        deferredNotices: [...deferredNotices, ...lines],
      }));
    },

    async confirmDelivered({ incidentIds, notices }) {
      if (incidentIds.length) {
        const batch = db.batch();
        for (const id of incidentIds) batch.update(db.doc(paths.longrun.incident(id)), { notifyPending: false });
        await batch.commit();
      }
      if (notices.length) {
        await updateNotices((pending) => ({ pendingNotices: withoutNotices(pending, notices) }));
      }
    },

    async unclaimNotifications(ids) {
      if (ids.length === 0) return;
      const batch = db.batch();
      for (const id of ids) batch.update(db.doc(paths.longrun.incident(id)), { lastNotifiedAt: null });
      await batch.commit();
    },
  };
}
