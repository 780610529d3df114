import type { LeaseWrite } from "@wa-gateway/core";
import type { OutboxDocument, OutboxMediaDocument } from "@wa-gateway/core/documents";
import type { ClaimResult, HeldReason, OutboxLeaseView, SendFailure } from "@wa-gateway/core/outbox";
import type { TemplateToSend } from "@wa-gateway/core/proxies";

/* What the worker's delivery needs of the outbox (the port its classes are written against), and
   the views of an entry it decides on. Firestore implements it in outboxStore.ts. */

export interface ClaimedEntry {
  requestId: string;
  epoch: number;
  attempt: number;
  threadId: string;
  accountId: string;
  toJid: string;
  text: string;
  providerMessageId: string;
  /** A Cloud API template send: what goes instead of `text`. */
  template: TemplateToSend | null;
  /** A file to send (`text` its caption), where the media bucket keeps it. */
  media: OutboxMediaDocument | null;
  /** Counts towards the account's new-contact budget. */
  firstContact: boolean;
}

/** A failed attempt recorded: queued again for a retry, or failed for good; or not ours to record. */
export type FailResult = "retrying" | "failed" | Exclude<LeaseWrite, "written">;

/** What the deliverer knows of an entry that is not final yet. */
export interface PendingEntry {
  requestId: string;
  accountId: string;
  threadId: string;
  createdAtMs: number;
  status: "queued" | "processing";
  nextAttemptAtMs: number;
  leaseUntilMs: number | null;
  /** A first message to a new contact: it waits for the new-contact budget and any timelock. */
  firstContact: boolean;
  /** Why it waits past its due time, as recorded on the entry. */
  heldReason: HeldReason | null;
}

/** A queued entry's new due time recorded; or it was not there, or no longer queued (claimed, final). */
export type RescheduleResult = "written" | "missing" | "not_queued";

export function pendingEntryOf(requestId: string, d: OutboxDocument): PendingEntry | undefined {
  if (d.status !== "queued" && d.status !== "processing") return undefined;
  return {
    requestId,
    accountId: d.accountId,
    threadId: d.threadId,
    createdAtMs: d.createdAt.toMillis(),
    status: d.status,
    nextAttemptAtMs: d.nextAttemptAt.toMillis(),
    leaseUntilMs: d.leaseUntil?.toMillis() ?? null,
    firstContact: d.firstContact,
    heldReason: d.heldReason,
  };
}

/** The entry a claim under `epoch` hands to the deliverer. */
export function claimedEntryOf(requestId: string, d: OutboxDocument, epoch: number, attempt: number): ClaimedEntry {
  const { threadId, accountId, toJid, text, providerMessageId, firstContact } = d;
  const [template, media] = [d.template ?? null, d.media ?? null];
  return {
    requestId,
    epoch,
    attempt,
    threadId,
    accountId,
    toJid,
    text,
    providerMessageId,
    template,
    media,
    firstContact,
  };
}

export function leaseView(d: OutboxDocument): OutboxLeaseView {
  return {
    status: d.status,
    claimedBy: d.claimedBy,
    leaseUntilMs: d.leaseUntil?.toMillis() ?? null,
    leaseEpoch: d.leaseEpoch,
    attempts: d.attempts,
    throttles: d.throttles ?? 0,
    nextAttemptAtMs: d.nextAttemptAt.toMillis(),
  };
}

/**
 * The worker's side of the outbox (core/outbox/lifecycle.ts) and its send lease, fenced by
 * `leaseEpoch`: Firestore's is outboxStore below; tests have an in-memory one
 * (test/support/memoryStores).
 */
export interface OutboxStore {
  /** The account's non-final entries, oldest first, at most `page`; `full`: the page was filled. */
  pendingOf(accountId: string, page: number): Promise<{ entries: PendingEntry[]; full: boolean }>;
  /** Listens to the oldest `window` queued entries of up to 30 accounts; answers the unsubscribe. */
  watchQueued(
    accountIds: string[],
    window: number,
    onEntry: (entry: PendingEntry) => void,
    onError: (err: Error) => void,
  ): () => void;
  /** Claims a due entry; one claimed `maxAttempts` times already is given up instead, with its thread message. */
  claim(requestId: string, threadId: string): Promise<ClaimResult<ClaimedEntry>>;
  /** Extends the send lease; "fenced": another worker has it now. */
  renew(requestId: string, epoch: number): Promise<LeaseWrite>;
  /** Marks the entry and its thread message `sent`, only under the lease. */
  finish(requestId: string, epoch: number, threadId: string): Promise<LeaseWrite>;
  /** Records a failed attempt: `retrying` after a backoff, or `failed` for good (and the thread message). */
  fail(requestId: string, epoch: number, threadId: string, failure: SendFailure): Promise<FailResult>;
  /** Fails up to `page` entries of an account that cannot send; a live lease is left to its holder. */
  failBacklog(accountId: string, reason: string, page: number): Promise<{ failed: number; more: boolean }>;
  /** What was sent (or maybe sent) under `providerMessageId` from this account, to whom, and whether with a file, while younger than `maxAgeMs`. */
  sentMessage(
    accountId: string,
    providerMessageId: string,
    maxAgeMs: number,
  ): Promise<{ text: string; toJid: string; hasMedia: boolean } | undefined>;
  /**
   * Moves a queued entry's due time to `untilMs` and records why it waits (`reason`; null: it no
   * longer does). Only a queued entry: a claim in flight or a final entry is left as it is.
   */
  reschedule(requestId: string, untilMs: number, reason: HeldReason | null): Promise<RescheduleResult>;
  /** When this account's first messages to new contacts went out (`sentAt`), from `sinceMs` on. */
  firstContactsSentSince(accountId: string, sinceMs: number): Promise<number[]>;
  /** Hands a claimed entry back untouched (shutdown), its attempt not counted. */
  release(requestId: string, epoch: number): Promise<LeaseWrite>;
}
