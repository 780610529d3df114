import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { isPermanent, type FailedEntry, type RequeueStore } from "@wa-gateway/core/outbox";
import { outbox, threadMessages } from "@wa-gateway/data";

/** Failed outbox entries back to `queued` (npm run requeue, whatsappAdminRequeue). */
export function firestoreRequeueStore(db: Firestore): RequeueStore {
  return {
    async failedSince(sinceMs, accountId) {
      let query = outbox.all(db).where("status", "==", "failed");
      if (accountId) query = query.where("accountId", "==", accountId);
      const snap = await query.where("updatedAt", ">=", Timestamp.fromMillis(sinceMs)).orderBy("updatedAt").get();
      return snap.docs.map((d): FailedEntry => {
        const e = d.data();
        return {
          requestId: d.id,
          accountId: e.accountId,
          threadId: e.threadId,
          providerMessageId: e.providerMessageId,
          failureKind: e.failureKind ?? null,
          lastError: e.lastError,
          failedMs: e.updatedAt.toMillis(),
        };
      });
    },

    requeue(requestId, { by, nowMs, includePermanent }) {
      const ref = outbox.doc(db, requestId);
      return db.runTransaction(async (tx) => {
        const e = (await tx.get(ref)).data();
        if (!e || e.status !== "failed") return "no_longer_failed" as const;
        if (isPermanent({ failureKind: e.failureKind ?? null }) && !includePermanent) {
          return "skipped_permanent" as const;
        }
        const msgRef = threadMessages.doc(db, e.threadId, requestId);
        const msg = await tx.get(msgRef);
        const now = Timestamp.fromMillis(nowMs);
        // providerMessageId is left as it is: a retry goes out under the same WhatsApp id.
        tx.update(ref, {
          status: "queued",
          attempts: 0,
          throttles: 0,
          nextAttemptAt: now,
          claimedBy: null,
          leaseUntil: null,
          lastError: null,
          failureKind: null,
          expireAt: null,
          requeued: { by, at: now, previousError: e.lastError, count: (e.requeued?.count ?? 0) + 1 },
          updatedAt: now,
        });
        // A failed message is final for the worker's status rules; the operator's reset reopens it.
        if (msg.exists) tx.update(msgRef, { status: "queued", updatedAt: FieldValue.serverTimestamp() });
        return "requeued" as const;
      });
    },
  };
}
