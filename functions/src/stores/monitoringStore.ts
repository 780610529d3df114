import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  alertLines,
  CLAIM_STALE_MS,
  DEFAULT_MONITORING_CONFIG,
  INCIDENT_TYPES,
  noticeId,
  resolveMonitoringConfig,
  type AccountDocument,
  type AlertLine,
  type ConfigResolution,
  type MonitoringStore,
  type OpenIncident,
  type WatchdogState,
  type WatchedAccount,
  GrpcStatus,
} from "@wa-gateway/core";
import {
  accounts,
  heartbeats as heartbeatDocs,
  heartbeatState,
  incidents as incidentDocs,
  monitoringConfigDoc,
  outbox as outboxDocs,
  readTogether,
  watchdogMemory,
} from "@wa-gateway/data";

type AccountFields = Pick<AccountDocument, "status" | "recentDisconnects" | "inboundStuckSince">;

/** A resolution notice a run has claimed for sending, until it confirms Telegram took it. */
type PendingNotice = NonNullable<WatchdogState["pendingNotices"]>[number];

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
  const watchdogRef = watchdogMemory.doc(db);
  let watchdogDoc: Promise<WatchdogState | undefined> | undefined;
  const watchdog = () => (watchdogDoc ??= watchdogRef.get().then((s) => s.data()));
  let config: Promise<ConfigResolution> | undefined;
  const heartbeats = heartbeatDocs.all(db);
  const outbox = outboxDocs.all(db);
  const accountsAll = accounts.all(db);
  const count = async <T>(q: FirebaseFirestore.Query<T>) => (await q.count().get()).data().count;

  async function loadConfig(): Promise<ConfigResolution> {
    const ref = monitoringConfigDoc.ref(db);
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
      const memory = snap.data();
      const fields = change(memory?.pendingNotices ?? [], memory?.deferredNotices ?? []);
      tx.set(watchdogRef, { ...fields, updatedAt: FieldValue.serverTimestamp(), updatedBy: writer }, { merge: true });
    });
  }

  return {
    loadConfig: () => (config ??= loadConfig()),

    async heartbeatState() {
      const s = (await heartbeatState.doc(db).get()).data();
      return {
        lastHeartbeatMs: s?.lastHeartbeatAt?.toMillis() ?? null,
        lastInstanceId: s?.lastHeartbeatInstanceId ?? null,
        streakStartedMs: s?.streakStartedAt?.toMillis() ?? null,
        firstHeartbeatMs: s?.firstHeartbeatAt?.toMillis() ?? null,
        plannedStopMs: s?.plannedStopAt?.toMillis() ?? null,
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
      const [queuedCount, failedLast5m, oldestMs] = await Promise.all([
        count(outbox.where("status", "==", "queued")),
        count(outbox.where("status", "==", "failed").where("updatedAt", ">=", since)),
        outboxDocs.oldestQueuedMs(db),
      ]);
      return {
        queuedCount,
        failedLast5m,
        oldestQueuedAgeSec: oldestMs === null ? 0 : Math.max(0, Math.round((nowMs - oldestMs) / 1000)),
      };
    },

    async accountCounts(nowMs) {
      const [ever, live, connected] = await Promise.all([
        count(accountsAll),
        count(accountsAll.where("status", "!=", "removed")),
        count(accountsAll.where("status", "==", "connected").where("owner.leaseUntil", ">", ts(nowMs))),
      ]);
      return { ever, live, connected };
    },

    async watchedAccounts(nowMs) {
      const fields = ["status", "recentDisconnects", "inboundStuckSince"] as const;
      const [loggedOut, disconnected, inboundStuck, openAccountIncidents] = await Promise.all([
        accounts.kind.select(accountsAll.where("status", "==", "logged_out"), ...fields).get(),
        accounts.kind.select(accountsAll.where("lastDisconnect.at", ">", ts(nowMs - 3_600_000)), ...fields).get(),
        accounts.kind.select(accountsAll.where("inboundStuckSince", ">", ts(0)), ...fields).get(),
        incidentDocs.kind
          .select(
            incidentDocs
              .all(db)
              .where("status", "==", "open")
              .where("type", "in", ["logged_out", "reconnect_loop", "inbound_backlog"]),
            "key",
          )
          .get(),
      ]);
      const found = new Map<string, AccountFields>(
        [...loggedOut.docs, ...disconnected.docs, ...inboundStuck.docs].map((d) => [d.id, d.data()]),
      );
      const named = [...new Set(openAccountIncidents.docs.map((d) => d.data().key))].filter((id) => !found.has(id));
      if (named.length) {
        const partial = accounts.kind.partial(...fields);
        const refs = named.map((id) => accounts.doc(db, id).withConverter(partial));
        for (const snap of await readTogether(db, refs, { fieldMask: [...fields] })) {
          // A deleted account still gets an evaluation, so its incidents resolve.
          found.set(snap.id, snap.data() ?? { status: "removed" });
        }
      }
      return [...found].map(([id, data]): WatchedAccount => ({
        id,
        status: data.status,
        recentDisconnectsMs: (data.recentDisconnects ?? []).map((t) => t.toMillis()),
        inboundStuckSinceMs: data.inboundStuckSince?.toMillis() ?? null,
      }));
    },

    applyIncidents({ nowMs, decide, run }) {
      return db.runTransaction(async (tx) => {
        let deferred: AlertLine[] = [];
        let stillClaimed: PendingNotice[] = [];
        if (run) {
          const memory = (await tx.get(watchdogRef)).data();
          const last = memory?.lastRun?.[run.job];
          if (last !== undefined && last >= run.scheduleMs) return { status: "duplicate_run" as const };
          // Notices refused earlier, and those a run claimed but never confirmed (it was killed).
          const pending = memory?.pendingNotices ?? [];
          const stale = (n: PendingNotice) => nowMs - n.claimedAtMs >= CLAIM_STALE_MS;
          deferred = [...(memory?.deferredNotices ?? []), ...pending.filter(stale).map((n) => n.line)];
          stillClaimed = pending.filter((n) => !stale(n));
        }
        const openSnap = await tx.get(incidentDocs.all(db).where("status", "==", "open"));
        const open: OpenIncident[] = openSnap.docs.map((d) => {
          const incident = d.data();
          return {
            id: d.id,
            type: incident.type,
            key: incident.key,
            tsStartMs: incident.tsStart.toMillis(),
            lastNotifiedMs: incident.lastNotifiedAt?.toMillis() ?? null,
            notifyPending: incident.notifyPending,
          };
        });
        const actions = decide(open);
        for (const a of actions) {
          if (a.kind === "open") {
            const e = a.evaluation;
            tx.create(incidentDocs.write(db, a.id), {
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
            tx.update(incidentDocs.doc(db, a.id), {
              reason: a.reason,
              lastNotifiedAt: ts(nowMs),
              notifyPending: true,
              notifyCount: FieldValue.increment(1),
              updatedAt: FieldValue.serverTimestamp(),
              updatedBy: writer,
            });
          } else {
            tx.update(incidentDocs.doc(db, a.id), {
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
        for (const id of incidentIds) batch.update(incidentDocs.doc(db, id), { notifyPending: false });
        await batch.commit();
      }
      if (notices.length) {
        await updateNotices((pending) => ({ pendingNotices: withoutNotices(pending, notices) }));
      }
    },

    async unclaimNotifications(ids) {
      if (ids.length === 0) return;
      const batch = db.batch();
      for (const id of ids) batch.update(incidentDocs.doc(db, id), { lastNotifiedAt: null });
      await batch.commit();
    },
  };
}
