import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { type WatchdogState } from "@wa-gateway/core/documents";
import {
  alertLines,
  CLAIM_STALE_MS,
  incidentFromDocument,
  noticeId,
  type AlertLine,
  type IncidentStore,
  type OpenIncident,
} from "@wa-gateway/core/longrun";
import { incidents as incidentDocs, watchdogMemory } from "@wa-gateway/data";
import { transactionRetryingClosed } from "../lib/firestore";

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
 * Incidents and the bookkeeping of their notifications: the open incidents and the watchdog's
 * memory of runs and notices (`state/watchdog`) change together, in one transaction.
 */
export function firestoreIncidentStore(db: Firestore, writer: string): IncidentStore {
  const watchdogRef = watchdogMemory.doc(db);

  /** Read-modify-write of the notice lists on state/watchdog, in a transaction (runs may overlap). */
  function updateNotices(
    change: (pending: PendingNotice[], deferred: AlertLine[]) => Record<string, unknown>,
  ): Promise<void> {
    return transactionRetryingClosed(db, async (tx) => {
      const snap = await tx.get(watchdogRef);
      const memory = snap.data();
      const fields = change(memory?.pendingNotices ?? [], memory?.deferredNotices ?? []);
      tx.set(watchdogRef, { ...fields, updatedAt: FieldValue.serverTimestamp(), updatedBy: writer }, { merge: true });
    });
  }

  return {
    applyIncidents({ nowMs, decide, run }) {
      return transactionRetryingClosed(db, async (tx) => {
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
        const open: OpenIncident[] = openSnap.docs.map((d) => incidentFromDocument(d.id, d.data()));
        const actions = decide(open);
        for (const a of actions) {
          if (a.kind === "open") {
            const e = a.evaluation;
            tx.create(incidentDocs.write(db, a.id), {
              type: e.type,
              key: e.key,
              severity: a.severity,
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
              severity: a.severity,
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
