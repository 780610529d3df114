import { Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  advancesStatus,
  backlogFields,
  claimability,
  claimableAgainAt,
  claimFields,
  failureFields,
  gaveUpFields,
  holdsLease,
  millisOf,
  collections,
  paths,
  type ClaimResult,
  type FinishResult,
  type MessageStatus,
  type OutboxLeaseView,
  type RetryPolicy,
  type SendFailure,
} from "@wa-gateway/core";
import { optimisticUpdate, type OptimisticDecision } from "../optimistic";
import { ServerClock } from "../serverClock";

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

/**
 * The outbox entry sent under a WhatsApp message id, or undefined: receipts and a contact's
 * resend request name our messages by that id, not by the entry's.
 */
export async function outboxEntryByProviderMessageId(
  db: Firestore,
  providerMessageId: string,
): Promise<FirebaseFirestore.QueryDocumentSnapshot | undefined> {
  const snap = await db
    .collection(collections.outbox)
    .where("providerMessageId", "==", providerMessageId)
    .limit(1)
    .get();
  return snap.docs[0];
}

/** What the deliverer knows of an entry that is not final yet. */
export interface PendingEntry {
  requestId: string;
  accountId: string;
  threadId: string;
  createdAtMs: number;
  status: "queued" | "processing";
  nextAttemptAtMs: number;
  leaseUntilMs: number | null;
}

function pendingEntryOf(doc: FirebaseFirestore.QueryDocumentSnapshot): PendingEntry | undefined {
  const d = doc.data();
  if (d.status !== "queued" && d.status !== "processing") return undefined;
  return {
    requestId: doc.id,
    accountId: d.accountId,
    threadId: d.threadId,
    createdAtMs: millisOf(d.createdAt) ?? 0,
    status: d.status,
    nextAttemptAtMs: millisOf(d.nextAttemptAt) ?? 0,
    leaseUntilMs: millisOf(d.leaseUntil),
  };
}

function leaseView(data: FirebaseFirestore.DocumentData): OutboxLeaseView {
  return {
    status: data.status,
    claimedBy: data.claimedBy ?? null,
    leaseUntilMs: millisOf(data.leaseUntil),
    leaseEpoch: data.leaseEpoch ?? 0,
    attempts: data.attempts ?? 0,
    nextAttemptAtMs: millisOf(data.nextAttemptAt) ?? 0,
  };
}

/**
 * The worker's side of the outbox lifecycle (core/outbox/lifecycle.ts). Every change is an
 * optimistic update (read, then commit only if unchanged), never a locking transaction: a worker
 * killed mid-way must not leave locks that stall the others. Leases are judged and written on
 * Firestore's clock (the read time), never on the worker's.
 */
export function outboxStore(
  db: Firestore,
  workerId: string,
  leaseSec: number,
  retry: RetryPolicy,
  clock = new ServerClock(),
) {
  const ref = (requestId: string) => db.doc(paths.outboxEntry(requestId));
  const update = <R>(
    refs: FirebaseFirestore.DocumentReference[],
    decide: (snaps: FirebaseFirestore.DocumentSnapshot[], nowMs: number) => OptimisticDecision<R>,
  ) => optimisticUpdate(db, refs, decide, clock);
  const retained = (nowMs: number) => Timestamp.fromMillis(nowMs + FINISHED_RETENTION_DAYS * 86_400_000);

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
      nowMs: number,
    ) => OptimisticDecision<R>,
  ): Promise<R> {
    const refs = [ref(requestId), db.doc(paths.threadMessage(threadId, requestId))];
    return update(refs, ([entry, msg], nowMs) => decide(entry!, msg, nowMs));
  }

  /** Fails an entry whose claims ran out, and its thread message; re-checked, as it may have moved on. */
  function giveUp(requestId: string, threadId: string): Promise<ClaimResult<ClaimedEntry>> {
    return withMessage(requestId, threadId, (entry, msg, nowMs): OptimisticDecision<ClaimResult<ClaimedEntry>> => {
      if (!entry.exists) return { result: { kind: "missing" } };
      const view = leaseView(entry.data()!);
      const why = claimability(view, nowMs, retry.maxAttempts);
      if (why !== "exhausted") {
        // Claimed, finished or retried meanwhile: not ours to give up; look again when it may be due.
        return {
          result: {
            kind: "lost",
            why: why === "due" ? "not_due" : why,
            until: why === "due" ? nowMs : claimableAgainAt(view),
          },
        };
      }
      return {
        result: { kind: "gave_up", attempts: view.attempts },
        updates: [
          [ref(requestId), { ...gaveUpFields(view, nowMs), expireAt: retained(nowMs) }],
          ...messageUpdate(msg, "failed", Timestamp.fromMillis(nowMs)),
        ],
      };
    });
  }

  /**
   * The account's non-final entries, oldest first, at most `page` of them; `full`: the page was
   * filled, so there may be more.
   */
  async function pendingOf(accountId: string, page: number): Promise<{ entries: PendingEntry[]; full: boolean }> {
    const snap = await db
      .collection(collections.outbox)
      .where("accountId", "==", accountId)
      .where("status", "in", ["queued", "processing"])
      .orderBy("createdAt")
      .limit(page)
      .get();
    return { entries: snap.docs.flatMap((doc) => pendingEntryOf(doc) ?? []), full: snap.size >= page };
  }

  return {
    pendingOf,

    /**
     * Listens to the `queued` entries of up to 30 accounts (Firestore's `in` limit), the oldest
     * `window` of them; each new or changed one is handed to `onEntry`. Answers the unsubscribe.
     */
    watchQueued(
      accountIds: string[],
      window: number,
      onEntry: (entry: PendingEntry) => void,
      onError: (err: Error) => void,
    ): () => void {
      return db
        .collection(collections.outbox)
        .where("status", "==", "queued")
        .where("accountId", "in", accountIds)
        .orderBy("createdAt")
        .limit(window)
        .onSnapshot((snap) => {
          for (const change of snap.docChanges()) {
            const entry = change.type === "removed" ? undefined : pendingEntryOf(change.doc);
            if (entry) onEntry(entry);
          }
        }, onError);
    },

    /**
     * Claims a due entry (one read: the hot path); one claimed `maxAttempts` times already is
     * given up instead, with its thread message, which only then is read too.
     */
    async claim(requestId: string, threadId: string): Promise<ClaimResult<ClaimedEntry>> {
      const claim = await update<ClaimResult<ClaimedEntry> | { kind: "exhausted" }>(
        [ref(requestId)],
        ([entry], nowMs) => {
          if (!entry!.exists) return { result: { kind: "missing" } };
          const data = entry!.data()!;
          const view = leaseView(data);
          const why = claimability(view, nowMs, retry.maxAttempts);
          if (why === "exhausted") return { result: { kind: "exhausted" } };
          if (why !== "due") return { result: { kind: "lost", why, until: claimableAgainAt(view) } };
          const fields = claimFields(view, workerId, nowMs, leaseSec);
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
            },
          };
        },
      );
      return claim.kind === "exhausted" ? giveUp(requestId, threadId) : claim;
    },

    /** Extends the lease during a slow send; "fenced" means another worker has it now. */
    renew(requestId: string, epoch: number): Promise<FinishResult> {
      return update<FinishResult>([ref(requestId)], ([snap], nowMs) => {
        if (!snap!.exists) return { result: "missing" as const };
        if (!holdsLease(leaseView(snap!.data()!), workerId, epoch)) return { result: "fenced" as const };
        return {
          result: "finished" as const,
          updates: [[ref(requestId), { leaseUntil: Timestamp.fromMillis(nowMs + leaseSec * 1000) }]],
        };
      });
    },

    /** Marks `sent`, only while this worker still holds the lease under `epoch`. */
    finish(requestId: string, epoch: number, threadId: string): Promise<FinishResult> {
      return withMessage<FinishResult>(requestId, threadId, (entry, msg, nowMs) => {
        if (!entry.exists) return { result: "missing" as const };
        if (!holdsLease(leaseView(entry.data()!), workerId, epoch)) return { result: "fenced" as const };
        const now = Timestamp.fromMillis(nowMs);
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
                expireAt: retained(nowMs),
              },
            ],
            ...messageUpdate(msg, "sent", now),
          ],
        };
      });
    },

    /** Records a failed attempt: back to `queued` after a backoff, or `failed` for good. */
    fail(requestId: string, epoch: number, threadId: string, failure: SendFailure): Promise<FinishResult | "failed"> {
      return withMessage<FinishResult | "failed">(requestId, threadId, (entry, msg, nowMs) => {
        if (!entry.exists) return { result: "missing" as const };
        const view = leaseView(entry.data()!);
        if (!holdsLease(view, workerId, epoch)) return { result: "fenced" as const };
        const fields = failureFields(view, failure, nowMs, retry);
        if (fields.status !== "failed") return { result: "finished" as const, updates: [[ref(requestId), fields]] };
        return {
          result: "failed" as const,
          updates: [
            [ref(requestId), { ...fields, expireAt: retained(nowMs) }],
            ...messageUpdate(msg, "failed", Timestamp.fromMillis(nowMs)),
          ],
        };
      });
    },

    /**
     * Fails, oldest first, up to `page` entries of an account that cannot send (removed, logged
     * out past its hold), with `reason` for the client. An entry under a live lease is left to its
     * holder. `more`: entries remain, call again.
     */
    async failBacklog(accountId: string, reason: string, page: number): Promise<{ failed: number; more: boolean }> {
      const { entries, full } = await pendingOf(accountId, page);
      let failed = 0;
      let left = 0;
      for (const pending of entries) {
        const result = await withMessage(pending.requestId, pending.threadId, (entry, msg, nowMs) => {
          if (!entry.exists) return { result: "gone" as const };
          const view = leaseView(entry.data()!);
          const why = claimability(view, nowMs, Number.POSITIVE_INFINITY);
          if (why === "final") return { result: "gone" as const };
          if (why === "leased") return { result: "leased" as const };
          return {
            result: "failed" as const,
            updates: [
              [ref(entry.id), { ...backlogFields(reason, nowMs), expireAt: retained(nowMs) }],
              ...messageUpdate(msg, "failed", Timestamp.fromMillis(nowMs)),
            ],
          };
        });
        if (result === "failed") failed++;
        if (result === "leased") left++;
      }
      return { failed, more: left > 0 || full };
    },

    /**
     * The text we sent (or may have sent) under `providerMessageId` from this account, while it is
     * younger than `maxAgeMs`: what Baileys' `getMessage` re-encrypts when a contact's phone
     * could not decrypt it. Read from the outbox entry, so it survives any worker restart.
     */
    async sentText(accountId: string, providerMessageId: string, maxAgeMs: number): Promise<string | undefined> {
      const data = (await outboxEntryByProviderMessageId(db, providerMessageId))?.data();
      if (!data || data.accountId !== accountId) return undefined;
      if (data.status !== "sent" && data.status !== "processing") return undefined;
      const atMs = millisOf(data.sentAt) ?? millisOf(data.createdAt) ?? 0;
      return clock.now() - atMs <= maxAgeMs ? (data.text as string) : undefined;
    },

    /** Hands a claimed entry back untouched (shutdown), so another worker can take it at once. */
    release(requestId: string, epoch: number): Promise<FinishResult> {
      return update<FinishResult>([ref(requestId)], ([snap], nowMs) => {
        if (!snap!.exists) return { result: "missing" as const };
        const view = leaseView(snap!.data()!);
        if (!holdsLease(view, workerId, epoch)) return { result: "fenced" as const };
        const now = Timestamp.fromMillis(nowMs);
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
