import { Timestamp, type DocumentSnapshot, type Firestore } from "firebase-admin/firestore";
import { type LeaseWrite } from "@wa-gateway/core";
import { type MessageStatus, type OutboxDocument, type ThreadMessageDocument } from "@wa-gateway/core/documents";
import {
  advancesStatus,
  backlogFields,
  claimability,
  claimableAgainAt,
  decideClaim,
  failureFields,
  gaveUpFields,
  holdsSendLease,
  type ClaimResult,
  type HeldReason,
  type OutboxLeaseView,
  type RetryPolicy,
  type SendFailure,
} from "@wa-gateway/core/outbox";
import { outbox, threadMessages } from "@wa-gateway/data";
import { optimisticUpdate, updateOf, type DocumentUpdate, type OptimisticDecision } from "../optimistic";
import { ServerClock } from "../serverClock";
import {
  claimedEntryOf,
  leaseView,
  pendingEntryOf,
  type ClaimedEntry,
  type FailResult,
  type OutboxStore,
  type PendingEntry,
  type RescheduleResult,
} from "./outboxPort";
import { UnansweredClaims } from "./unansweredClaims";

export const FINISHED_RETENTION_DAYS = 30;

/**
 * The worker's side of the outbox lifecycle (core/outbox/lifecycle.ts) and of its send lease
 * (core/leases.ts): every change an optimistic update (read, then commit only if unchanged),
 * leases judged and written on Firestore's clock (the read time), never on the worker's.
 */
export function outboxStore(
  db: Firestore,
  workerId: string,
  leaseSec: number,
  retry: RetryPolicy,
  clock = new ServerClock(),
): OutboxStore {
  const ref = (requestId: string) => outbox.doc(db, requestId);
  /** One outbox entry read, decided on and written only if unchanged since. */
  const update = <R>(
    requestId: string,
    decide: (entry: DocumentSnapshot<OutboxDocument>, nowMs: number) => OptimisticDecision<R>,
  ) => optimisticUpdate(db, [ref(requestId)], ([entry], nowMs) => decide(entry, nowMs), clock);
  const unanswered = new UnansweredClaims();
  const retained = (nowMs: number) => Timestamp.fromMillis(nowMs + FINISHED_RETENTION_DAYS * 86_400_000);

  /** The thread message update that moves it forward to `next`, or none (never backward). */
  function messageUpdate(
    msg: DocumentSnapshot<ThreadMessageDocument> | null,
    next: MessageStatus,
    now: Timestamp,
  ): DocumentUpdate[] {
    const current = msg?.data();
    return msg && current && advancesStatus(current.status, next)
      ? [updateOf(msg.ref, { status: next, updatedAt: now })]
      : [];
  }

  /** The outbox entry and its thread message (the claim told us its thread), read together. */
  async function withMessage<R>(
    requestId: string,
    threadId: string,
    decide: (
      entry: DocumentSnapshot<OutboxDocument>,
      msg: DocumentSnapshot<ThreadMessageDocument>,
      nowMs: number,
    ) => OptimisticDecision<R>,
  ): Promise<R> {
    return optimisticUpdate(
      db,
      [ref(requestId), threadMessages.doc(db, threadId, requestId)],
      ([entry, msg], nowMs) => decide(entry, msg, nowMs),
      clock,
    );
  }

  /**
   * A write only this worker's send lease under `epoch` may make: `missing` and `fenced` are
   * answered here, the rest by `write` (given the entry's thread message when `threadId` is).
   */
  function underLease<R>(
    requestId: string,
    epoch: number,
    threadId: string | null,
    write: (
      view: OutboxLeaseView,
      msg: DocumentSnapshot<ThreadMessageDocument> | null,
      nowMs: number,
    ) => OptimisticDecision<R>,
  ): Promise<R | Exclude<LeaseWrite, "written">> {
    const decide = (
      entry: DocumentSnapshot<OutboxDocument>,
      msg: DocumentSnapshot<ThreadMessageDocument> | null,
      nowMs: number,
    ): OptimisticDecision<R | Exclude<LeaseWrite, "written">> => {
      const data = entry.data();
      if (!data) return { result: "missing" };
      const view = leaseView(data);
      if (!holdsSendLease(view, workerId, epoch)) return { result: "fenced" };
      return write(view, msg, nowMs);
    };
    return threadId === null
      ? update(requestId, (entry, nowMs) => decide(entry, null, nowMs))
      : withMessage(requestId, threadId, decide);
  }

  /** Fails an entry whose claims ran out, and its thread message; re-checked, as it may have moved on. */
  function giveUp(requestId: string, threadId: string): Promise<ClaimResult<ClaimedEntry>> {
    return withMessage(requestId, threadId, (entry, msg, nowMs): OptimisticDecision<ClaimResult<ClaimedEntry>> => {
      const data = entry.data();
      if (!data) return { result: { kind: "missing" } };
      const view = leaseView(data);
      const why = claimability(view, nowMs, retry.maxAttempts);
      if (why !== "exhausted") {
        // Claimed, finished or retried meanwhile: not ours to give up; look again when it may be due.
        return {
          result: {
            kind: "held",
            why: why === "due" ? "not_due" : why,
            until: why === "due" ? nowMs : claimableAgainAt(view),
          },
        };
      }
      return {
        result: { kind: "gave_up", attempts: view.attempts },
        updates: [
          updateOf(ref(requestId), { ...gaveUpFields(view, nowMs), expireAt: retained(nowMs) }),
          ...messageUpdate(msg, "failed", Timestamp.fromMillis(nowMs)),
        ],
      };
    });
  }

  /** The account's non-final entries, oldest first, at most `page`; `full`: the page was filled (maybe more). */
  async function pendingOf(accountId: string, page: number): Promise<{ entries: PendingEntry[]; full: boolean }> {
    const snap = await outbox
      .all(db)
      .where("accountId", "==", accountId)
      .where("status", "in", ["queued", "processing"])
      .orderBy("createdAt")
      .limit(page)
      .get();
    return { entries: snap.docs.flatMap((doc) => pendingEntryOf(doc.id, doc.data()) ?? []), full: snap.size >= page };
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
      return outbox
        .all(db)
        .where("status", "==", "queued")
        .where("accountId", "in", accountIds)
        .orderBy("createdAt")
        .limit(window)
        .onSnapshot((snap) => {
          for (const change of snap.docChanges()) {
            const entry = change.type === "removed" ? undefined : pendingEntryOf(change.doc.id, change.doc.data());
            if (entry) onEntry(entry);
          }
        }, onError);
    },

    /**
     * Claims a due entry (one read: the hot path); one claimed `maxAttempts` times already is
     * given up instead, with its thread message, which only then is read too.
     */
    async claim(requestId: string, threadId: string): Promise<ClaimResult<ClaimedEntry>> {
      const claim = await unanswered.around(requestId, (ours) =>
        update<ClaimResult<ClaimedEntry> | { kind: "exhausted" }>(requestId, (entry, nowMs) => {
          const data = entry.data();
          if (!data) return { result: { kind: "missing" } };
          const triedEpoch = ours.ownEpoch();
          const decided = decideClaim(leaseView(data), {
            workerId,
            nowMs,
            leaseSec,
            maxAttempts: retry.maxAttempts,
            triedEpoch,
          });
          if (decided.kind !== "claim") return { result: decided };
          const { fields, takeover } = decided;
          const { leaseEpoch: epoch, attempts: attempt } = fields;
          ours.trying(epoch);
          const entryClaimed = claimedEntryOf(requestId, data, epoch, attempt);
          return {
            updates: [updateOf(ref(requestId), fields)],
            result: { kind: "claimed", epoch, attempt, takeover, entry: entryClaimed },
          };
        }),
      );
      return claim.kind === "exhausted" ? giveUp(requestId, threadId) : claim;
    },

    /** Extends the lease during a slow send; "fenced" means another worker has it now. */
    renew(requestId: string, epoch: number): Promise<LeaseWrite> {
      return underLease(requestId, epoch, null, (_view, _msg, nowMs) => ({
        result: "written" as const,
        updates: [updateOf(ref(requestId), { leaseUntil: Timestamp.fromMillis(nowMs + leaseSec * 1000) })],
      }));
    },

    /** Marks `sent`, only while this worker still holds the lease under `epoch`. */
    finish(requestId: string, epoch: number, threadId: string): Promise<LeaseWrite> {
      return underLease(requestId, epoch, threadId, (_view, msg, nowMs) => {
        const now = Timestamp.fromMillis(nowMs);
        return {
          result: "written" as const,
          updates: [
            updateOf(ref(requestId), {
              status: "sent",
              sentAt: now,
              leaseUntil: null,
              lastError: null,
              updatedAt: now,
              expireAt: retained(nowMs),
            }),
            ...messageUpdate(msg, "sent", now),
          ],
        };
      });
    },

    /** Records a failed attempt: back to `queued` after a backoff (`retrying`), or `failed` for good. */
    fail(requestId: string, epoch: number, threadId: string, failure: SendFailure): Promise<FailResult> {
      return underLease(requestId, epoch, threadId, (view, msg, nowMs) => {
        const fields = failureFields(view, failure, nowMs, retry);
        if (fields.status !== "failed")
          return { result: "retrying" as const, updates: [updateOf(ref(requestId), fields)] };
        return {
          result: "failed" as const,
          updates: [
            updateOf(ref(requestId), { ...fields, expireAt: retained(nowMs) }),
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
          const data = entry.data();
          if (!data) return { result: "gone" as const };
          const view = leaseView(data);
          const why = claimability(view, nowMs, Number.POSITIVE_INFINITY);
          if (why === "final") return { result: "gone" as const };
          if (why === "leased") return { result: "leased" as const };
          return {
            result: "failed" as const,
            updates: [
              updateOf(ref(entry.id), { ...backlogFields(reason, nowMs), expireAt: retained(nowMs) }),
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
     * The text we sent (or may have sent) under `providerMessageId` from this account, and the chat
     * it went to, while it is younger than `maxAgeMs`: what Baileys' `getMessage` re-encrypts when
     * that chat's phone could not decrypt it. Read from the outbox entry, so it survives any restart.
     */
    async sentMessage(accountId: string, providerMessageId: string, maxAgeMs: number) {
      const data = (await outbox.byProviderMessageId(db, providerMessageId))?.data();
      if (!data || data.accountId !== accountId) return undefined;
      if (data.status !== "sent" && data.status !== "processing") return undefined;
      const atMs = (data.sentAt ?? data.createdAt).toMillis();
      return clock.now() - atMs <= maxAgeMs
        ? { text: data.text, toJid: data.toJid, hasMedia: !!data.media }
        : undefined;
    },

    /** A queued entry waits until `untilMs`, for `reason` (null: it waits no more). */
    reschedule(requestId: string, untilMs: number, reason: HeldReason | null): Promise<RescheduleResult> {
      return update(requestId, (entry, nowMs) => {
        const data = entry.data();
        if (!data) return { result: "missing" as const };
        if (data.status !== "queued") return { result: "not_queued" as const };
        const fields = { nextAttemptAt: Timestamp.fromMillis(untilMs), heldReason: reason };
        return {
          result: "written" as const,
          updates: [updateOf(ref(requestId), { ...fields, updatedAt: Timestamp.fromMillis(nowMs) })],
        };
      });
    },

    firstContactsSentSince: (accountId, sinceMs) => outbox.firstContactsSentSince(db, accountId, sinceMs),

    /** Hands a claimed entry back untouched (shutdown), so another worker can take it at once. */
    release(requestId: string, epoch: number): Promise<LeaseWrite> {
      return underLease(requestId, epoch, null, (view, _msg, nowMs) => {
        const now = Timestamp.fromMillis(nowMs);
        return {
          result: "written" as const,
          updates: [
            updateOf(ref(requestId), {
              status: "queued",
              claimedBy: null,
              leaseUntil: null,
              nextAttemptAt: now,
              attempts: view.attempts - 1,
              updatedAt: now,
            }),
          ],
        };
      });
    },
  };
}
