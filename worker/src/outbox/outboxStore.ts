import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  advancesStatus,
  claimability,
  claimFields,
  failureFields,
  holdsLease,
  paths,
  type ClaimResult,
  type FinishResult,
  type MessageStatus,
  type OutboxLeaseView,
  type RetryPolicy,
  type SendFailure,
} from "@wa-gateway/core";

const FINISHED_RETENTION_DAYS = 30;

export interface ClaimedEntry {
  requestId: string;
  epoch: number;
  attempt: number;
  threadId: string;
  accountId: string;
  toJid: string;
  text: string;
  providerMessageId: string;
}

function leaseView(data: FirebaseFirestore.DocumentData): OutboxLeaseView {
  return {
    status: data.status,
    claimedBy: data.claimedBy ?? null,
    leaseUntilMs: data.leaseUntil ? (data.leaseUntil as Timestamp).toMillis() : null,
    leaseEpoch: data.leaseEpoch ?? 0,
    attempts: data.attempts ?? 0,
    nextAttemptAtMs: data.nextAttemptAt ? (data.nextAttemptAt as Timestamp).toMillis() : 0,
  };
}

/** The worker's side of the outbox lifecycle (core/outbox/lifecycle.ts), as Firestore transactions. */
export function outboxStore(db: Firestore, workerId: string, leaseSec: number, retry: RetryPolicy) {
  const ref = (requestId: string) => db.doc(paths.outboxEntry(requestId));

  /** Moves the thread message forward (never back) in the same transaction as the outbox write. */
  async function messageUpdate(
    tx: FirebaseFirestore.Transaction,
    data: FirebaseFirestore.DocumentData,
    requestId: string,
    next: MessageStatus,
  ) {
    const msgRef = db.doc(paths.threadMessage(data.threadId, requestId));
    const msg = await tx.get(msgRef);
    return msg.exists && advancesStatus(msg.get("status"), next) ? msgRef : undefined;
  }

  return {
    claim(requestId: string): Promise<ClaimResult & { entry?: ClaimedEntry }> {
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref(requestId));
        if (!snap.exists) return { kind: "missing" } as const;
        const data = snap.data()!;
        const view = leaseView(data);
        const why = claimability(view, Date.now());
        if (why !== "due") return { kind: "lost", why } as const;
        const fields = claimFields(view, workerId, Date.now(), leaseSec);
        tx.update(ref(requestId), fields);
        return {
          kind: "claimed",
          epoch: fields.leaseEpoch,
          attempt: fields.attempts,
          entry: {
            requestId,
            epoch: fields.leaseEpoch,
            attempt: fields.attempts,
            threadId: data.threadId,
            accountId: data.accountId,
            toJid: data.toJid,
            text: data.text,
            providerMessageId: data.providerMessageId,
          },
        } as const;
      });
    },

    /** Extends the lease during a slow send; "fenced" means another worker has it now. */
    renew(requestId: string, epoch: number): Promise<FinishResult> {
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref(requestId));
        if (!snap.exists) return "missing";
        if (!holdsLease(leaseView(snap.data()!), workerId, epoch)) return "fenced";
        tx.update(ref(requestId), { leaseUntil: Timestamp.fromMillis(Date.now() + leaseSec * 1000) });
        return "finished";
      });
    },

    /** Marks `sent`, only while this worker still holds the lease under `epoch`. */
    finish(requestId: string, epoch: number): Promise<FinishResult> {
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref(requestId));
        if (!snap.exists) return "missing";
        const data = snap.data()!;
        if (!holdsLease(leaseView(data), workerId, epoch)) return "fenced";
        const msgRef = await messageUpdate(tx, data, requestId, "sent");
        const now = Timestamp.now();
        tx.update(ref(requestId), {
          status: "sent",
          sentAt: now,
          leaseUntil: null,
          lastError: null,
          updatedAt: now,
          expireAt: Timestamp.fromMillis(now.toMillis() + FINISHED_RETENTION_DAYS * 86_400_000),
        });
        if (msgRef) tx.update(msgRef, { status: "sent", updatedAt: now });
        return "finished";
      });
    },

    /** Records a failed attempt: back to `queued` after a backoff, or `failed` for good. */
    fail(requestId: string, epoch: number, failure: SendFailure): Promise<FinishResult | "failed"> {
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref(requestId));
        if (!snap.exists) return "missing";
        const data = snap.data()!;
        const view = leaseView(data);
        if (!holdsLease(view, workerId, epoch)) return "fenced";
        const fields = failureFields(view, failure, Date.now(), retry);
        const final = fields.status === "failed";
        const msgRef = final ? await messageUpdate(tx, data, requestId, "failed") : undefined;
        tx.update(ref(requestId), {
          ...fields,
          ...(final ? { expireAt: Timestamp.fromMillis(Date.now() + FINISHED_RETENTION_DAYS * 86_400_000) } : {}),
        });
        if (msgRef) tx.update(msgRef, { status: "failed", updatedAt: FieldValue.serverTimestamp() });
        return final ? "failed" : "finished";
      });
    },

    /** Hands a claimed entry back untouched (shutdown), so another worker can take it at once. */
    release(requestId: string, epoch: number): Promise<FinishResult> {
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref(requestId));
        if (!snap.exists) return "missing";
        if (!holdsLease(leaseView(snap.data()!), workerId, epoch)) return "fenced";
        tx.update(ref(requestId), {
          status: "queued",
          claimedBy: null,
          leaseUntil: null,
          nextAttemptAt: Timestamp.now(),
          attempts: FieldValue.increment(-1),
          updatedAt: Timestamp.now(),
        });
        return "finished";
      });
    },
  };
}

export type OutboxStore = ReturnType<typeof outboxStore>;
