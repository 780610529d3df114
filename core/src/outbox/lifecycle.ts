import type { OutboxStatus } from "../documents/outbox";
import { holdsLease, type Lease, type LeaseClaim } from "../leases";

/**
 * The outbox entry's lifecycle, in one place:
 *
 *   queued ──claim──► processing ──finish (lease holder only)──► sent
 *     ▲                  │  └──lease expires──► (claimable again, same providerMessageId)
 *     └──retry (backoff)─┘──attempts exhausted / permanent error──► failed
 *                        └──lease expired after maxAttempts claims──► failed (gave up)
 *   queued / expired processing ──account removed, or logged out past its hold──► failed
 *
 * `attempts` counts claims, not only failures: an entry whose send keeps crashing or hanging its
 * worker (so no failure is ever recorded) is still given up after `maxAttempts` claims. A send
 * the provider throttled (the Cloud API's 130429) gives its claim back: throttling is pacing, not
 * failure, so it backs off (by `throttles`, up to `maxMs`) without failing the entry, up to MAX_THROTTLES. A send
 * that neither succeeds nor fails within its bound is a failure like any other, retried under the
 * same providerMessageId: it may have gone out, and WhatsApp recognises the id.
 */

/** The fields the lifecycle reads, as plain values (millis for times). */
export interface OutboxLeaseView {
  status: OutboxStatus;
  claimedBy: string | null;
  leaseUntilMs: number | null;
  leaseEpoch: number;
  attempts: number;
  /** Times the provider throttled it (they do not count as attempts). */
  throttles: number;
  nextAttemptAtMs: number;
}

/** `exhausted`: due, but claimed `maxAttempts` times already: it is given up, not claimed. */
export type Claimability = "due" | "exhausted" | "not_due" | "leased" | "final";

export function claimability(entry: OutboxLeaseView, nowMs: number, maxAttempts: number): Claimability {
  switch (entry.status) {
    case "sent":
    case "failed":
      return "final";
    case "queued":
      if (entry.nextAttemptAtMs > nowMs) return "not_due";
      return entry.attempts >= maxAttempts ? "exhausted" : "due";
    case "processing":
      if (entry.leaseUntilMs !== null && entry.leaseUntilMs > nowMs) return "leased";
      return entry.attempts >= maxAttempts ? "exhausted" : "due";
  }
}

/** When a lost entry may be claimable again: its lease's end, its next attempt, or never (final). */
export function claimableAgainAt(entry: OutboxLeaseView): number | null {
  if (entry.status === "processing") return entry.leaseUntilMs;
  if (entry.status === "queued") return entry.nextAttemptAtMs;
  return null;
}

/**
 * A claim of an entry: the lease's answers (core/leases.ts), with the entry inside `claimed`,
 * plus what only an outbox entry can answer.
 */
export type ClaimResult<Entry = undefined> =
  | Exclude<LeaseClaim<{ attempt: number; entry: Entry }>, { kind: "held" }>
  /** `until`: when it may be claimable again (server time): the live lease's end (`leased`), the next attempt (`not_due`), or null once final. */
  | { kind: "held"; why: "not_due" | "leased" | "final"; until: number | null }
  /** Claimed `maxAttempts` times without an outcome: now `failed`. */
  | { kind: "gave_up"; attempts: number };

/** Fields that make `workerId` the lease holder; the epoch fences every earlier holder. */
export function claimFields(entry: OutboxLeaseView, workerId: string, nowMs: number, leaseSec: number) {
  return {
    status: "processing" as const,
    claimedBy: workerId,
    leaseUntil: new Date(nowMs + leaseSec * 1000),
    leaseEpoch: entry.leaseEpoch + 1,
    attempts: entry.attempts + 1,
    heldReason: null,
    updatedAt: new Date(nowMs),
  };
}

/** What a claim does with an entry as read: claims it with `fields`, gives it up, or leaves it held. */
export type ClaimDecision =
  | { kind: "claim"; fields: ReturnType<typeof claimFields>; takeover: boolean }
  | { kind: "exhausted" }
  | { kind: "held"; why: "not_due" | "leased" | "final"; until: number | null };

/**
 * A claim by `workerId` at `nowMs`. `triedEpoch`: the epoch of this worker's last claim of the
 * entry whose commit answer never came (UNKNOWN, a deadline). If the entry's live lease is that
 * one, the commit landed but nobody sends under it: it is claimed again at once (a new epoch
 * fences the unused one), not waited out, and that attempt is not counted.
 */
export function decideClaim(
  entry: OutboxLeaseView,
  o: { workerId: string; nowMs: number; leaseSec: number; maxAttempts: number; triedEpoch?: number },
): ClaimDecision {
  const unanswered =
    entry.status === "processing" && entry.claimedBy === o.workerId && entry.leaseEpoch === o.triedEpoch;
  const why = unanswered ? "due" : claimability(entry, o.nowMs, o.maxAttempts);
  if (why === "exhausted") return { kind: "exhausted" };
  if (why !== "due") return { kind: "held", why, until: claimableAgainAt(entry) };
  const fields = claimFields(entry, o.workerId, o.nowMs, o.leaseSec);
  return unanswered
    ? { kind: "claim", fields: { ...fields, attempts: entry.attempts }, takeover: false }
    : { kind: "claim", fields, takeover: entry.status === "processing" };
}

/** The entry's send lease: there is one only while it is `processing`. */
export function outboxLease(entry: OutboxLeaseView): Lease | null {
  return entry.status === "processing" && entry.claimedBy !== null
    ? { holder: entry.claimedBy, untilMs: entry.leaseUntilMs ?? 0, epoch: entry.leaseEpoch }
    : null;
}

/** Only the worker that claimed under this epoch, while still `processing`, may finish or renew. */
export function holdsSendLease(entry: OutboxLeaseView, workerId: string, epoch: number): boolean {
  return holdsLease(outboxLease(entry), workerId, epoch);
}

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseMs: 2000, maxMs: 5 * 60_000 };

/** Exponential backoff with full jitter: uniform in [base·2^(n-1) / 2, base·2^(n-1)], capped. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Throttles an entry may meet before it fails (`throttled`): most of a day at the backoff's cap,
 * so a storm only slows delivery, but a limit Meta keeps for days (131048, spam rate) ends in a
 * failure the client sees and an operator can requeue, not a thread blocked for ever.
 */
export const MAX_THROTTLES = 300;

/** A failed send: `permanent` fails the entry; `throttled` (the provider asks to slow down) costs no attempt. */
export type SendFailure = { permanent: boolean; throttled?: boolean; message: string };

/** Fields that fail an entry its account can no longer send (removed; logged out past the hold). */
export function backlogFields(reason: string, nowMs: number) {
  return {
    status: "failed" as const,
    claimedBy: null,
    leaseUntil: null,
    lastError: `not sent: ${reason}`,
    failureKind: "account_gone" as const,
    updatedAt: new Date(nowMs),
  };
}

/** Fields that give up an entry whose claims ran out (its sends crashed or hung every time). */
export function gaveUpFields(entry: Pick<OutboxLeaseView, "attempts">, nowMs: number) {
  return {
    status: "failed" as const,
    claimedBy: null,
    leaseUntil: null,
    lastError: `gave up after ${entry.attempts} claims without an outcome (the send crashed or hung its worker each time)`,
    failureKind: "gave_up" as const,
    updatedAt: new Date(nowMs),
  };
}

/** After a failed attempt: back to `queued` with a delay, or `failed` when attempts are used up. */
export function failureFields(
  entry: Pick<OutboxLeaseView, "attempts" | "throttles">,
  failure: SendFailure,
  nowMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
) {
  const lastError = failure.message.slice(0, 500);
  if (failure.throttled && !failure.permanent && entry.throttles + 1 < MAX_THROTTLES) {
    const throttles = entry.throttles + 1;
    return {
      status: "queued" as const,
      claimedBy: null,
      leaseUntil: null,
      // The claim that was throttled is given back.
      attempts: Math.max(0, entry.attempts - 1),
      throttles,
      nextAttemptAt: new Date(nowMs + backoffMs(throttles, policy, random)),
      lastError,
      updatedAt: new Date(nowMs),
    };
  }
  if (failure.permanent || failure.throttled || entry.attempts >= policy.maxAttempts) {
    return {
      status: "failed" as const,
      claimedBy: null,
      leaseUntil: null,
      lastError,
      failureKind: failure.permanent
        ? ("permanent" as const)
        : failure.throttled
          ? ("throttled" as const)
          : ("attempts_exhausted" as const),
      updatedAt: new Date(nowMs),
    };
  }
  return {
    status: "queued" as const,
    claimedBy: null,
    leaseUntil: null,
    nextAttemptAt: new Date(nowMs + backoffMs(entry.attempts, policy, random)),
    lastError,
    updatedAt: new Date(nowMs),
  };
}
