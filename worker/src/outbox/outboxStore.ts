import { Timestamp, type Firestore } from "firebase-admin/firestore";
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
import { optimisticUpdate, type OptimisticDecision } from "../optimistic";

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

/**
 * The worker's side of the outbox lifecycle (core/outbox/lifecycle.ts). Every change is an
 * optimistic update (read, then commit only if unchanged), never a locking transaction: a worker
 * killed mid-way must not leave locks that stall the others.
 */
export function outboxStore(db: Firestore, workerId: string, leaseSec: number, retry: RetryPolicy) {
  const ref = (requestId: string) => db.doc(paths.outboxEntry(requestId));

  /** The thread message update that moves it forward to `next`, or none (never backward). */
  function messageUpdate(
    msg: FirebaseFirestore.DocumentSnapshot | undefined,
    next: MessageStatus,
    now: Timestamp,
  ): [FirebaseFirestore.DocumentReference, Record<string, unknown>][] {
    return msg?.exists && advancesStatus(msg.get("status"), next) ? [[msg.ref, { status: next, updatedAt: now }]] : [];
  }

  /** The outbox entry and its thread message (the claim told us its thread), read together. */
  async function withMessage<R>(
    requestId: string,
    threadId: string,
    decide: (
      entry: FirebaseFirestore.DocumentSnapshot,
      msg: FirebaseFirestore.DocumentSnapshot | undefined,
    ) => OptimisticDecision<R>,
  ): Promise<R> {
    const refs = [ref(requestId), db.doc(paths.threadMessage(threadId, requestId))];
    return optimisticUpdate(db, refs, ([entry, msg]) => decide(entry!, msg));
  }

  return {
    claim(requestId: string): Promise<ClaimResult & { entry?: ClaimedEntry }> {
      return optimisticUpdate<ClaimResult & { entry?: ClaimedEntry }>(db, [ref(requestId)], ([snap]) => {
        if (!snap!.exists) return { result: { kind: "missing" } as const };
        const data = snap!.data()!;
        const view = leaseView(data);
        const why = claimability(view, Date.now());
        if (why !== "due") return { result: { kind: "lost", why } as const };
        const fields = claimFields(view, workerId, Date.now(), leaseSec);
        return {
          updates: [[ref(requestId), fields]],
          result: {
            kind: "claimed",
            epoch: fields.leaseEpoch,
            attempt: fields.attempts,
            takeover: view.status === "processing",
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
          } as const,
        };
      });
    },

    /** Extends the lease during a slow send; "fenced" means another worker has it now. */
    renew(requestId: string, epoch: number): Promise<FinishResult> {
      return optimisticUpdate<FinishResult>(db, [ref(requestId)], ([snap]) => {
        if (!snap!.exists) return { result: "missing" as const };
        if (!holdsLease(leaseView(snap!.data()!), workerId, epoch)) return { result: "fenced" as const };
        return {
          result: "finished" as const,
          updates: [[ref(requestId), { leaseUntil: Timestamp.fromMillis(Date.now() + leaseSec * 1000) }]],
        };
      });
    },

    /** Marks `sent`, only while this worker still holds the lease under `epoch`. */
    finish(requestId: string, epoch: number, threadId: string): Promise<FinishResult> {
      return withMessage<FinishResult>(requestId, threadId, (entry, msg) => {
        if (!entry.exists) return { result: "missing" as const };
        if (!holdsLease(leaseView(entry.data()!), workerId, epoch)) return { result: "fenced" as const };
        const now = Timestamp.now();
        return {
          result: "finished" as const,
          updates: [
            [
              ref(requestId),
              {
                status: "sent",
                sentAt: now,
                leaseUntil: null,
                lastError: null,
                updatedAt: now,
                expireAt: Timestamp.fromMillis(now.toMillis() + FINISHED_RETENTION_DAYS * 86_400_000),
              },
            ],
            ...messageUpdate(msg, "sent", now),
          ],
        };
      });
    },

    /** Records a failed attempt: back to `queued` after a backoff, or `failed` for good. */
    fail(requestId: string, epoch: number, threadId: string, failure: SendFailure): Promise<FinishResult | "failed"> {
      return withMessage<FinishResult | "failed">(requestId, threadId, (entry, msg) => {
        if (!entry.exists) return { result: "missing" as const };
        const view = leaseView(entry.data()!);
        if (!holdsLease(view, workerId, epoch)) return { result: "fenced" as const };
        const fields = failureFields(view, failure, Date.now(), retry);
        const now = Timestamp.now();
        if (fields.status !== "failed") return { result: "finished" as const, updates: [[ref(requestId), fields]] };
        return {
          result: "failed" as const,
          updates: [
            [
              ref(requestId),
              { ...fields, expireAt: Timestamp.fromMillis(now.toMillis() + FINISHED_RETENTION_DAYS * 86_400_000) },
            ],
            ...messageUpdate(msg, "failed", now),
          ],
        };
      });
    },

    /** Hands a claimed entry back untouched (shutdown), so another worker can take it at once. */
    release(requestId: string, epoch: number): Promise<FinishResult> {
      return optimisticUpdate<FinishResult>(db, [ref(requestId)], ([snap]) => {
        if (!snap!.exists) return { result: "missing" as const };
        const view = leaseView(snap!.data()!);
        if (!holdsLease(view, workerId, epoch)) return { result: "fenced" as const };
        const now = Timestamp.now();
        return {
          result: "finished" as const,
          updates: [
            [
              ref(requestId),
              {
                status: "queued",
                claimedBy: null,
                leaseUntil: null,
                nextAttemptAt: now,
                attempts: view.attempts - 1,
                updatedAt: now,
              },
            ],
          ],
        };
      });
    },
  };
}

export type OutboxStore = ReturnType<typeof outboxStore>;
