/**
 * The fenced lease: the one primitive behind everything a worker holds alone.
 *
 * - an account's socket: `accounts/{id}.owner` {workerId, leaseUntil, epoch}
 * - an outbox entry's send: `outbox/{id}` {claimedBy, leaseUntil, leaseEpoch} while `processing`
 * - the heartbeat lock: `wa_metrics/longrun/locks/{name}` {holder, leaseUntilTs, epoch}
 *
 *        claim (free or expired: epoch + 1)
 *   free ───────────────────────────────────▶ ours(epoch) ──renew──▶ ours(epoch)
 *    ▲                                          │      │
 *    └──────── release / lease runs out ────────┘      └─ another holder claims after it ran out:
 *                                                         every write of ours answers "fenced"
 *
 * A release ends the lease at once and keeps its epoch (`released`): the next claim is still one
 * past every earlier holder, so what they fenced by epoch (the account's session) stays reachable,
 * and the holder that released it is fenced like one whose lease ran out.
 *
 * The words mean one thing in all three:
 * - a claim answers `claimed` (the claimed data inside), `held` (another holder's live lease,
 *   until when) or `missing`;
 * - a write under the lease (renew, release, a status, a finished send) answers `written`,
 *   `fenced` (the lease is not ours under that epoch any more; nothing was written) or `missing`.
 *
 * Whose lease is live is judged on Firestore's clock (the read time), never the worker's.
 *
 * Transactions or preconditions: the worker writes leases with update-time preconditions (read,
 * decide, commit only if unchanged; worker/src/optimistic.ts), never a locking transaction. A
 * worker can be killed at any instant (SIGKILL, a lost node); a server-side transaction it left
 * open would hold its locks until it times out and stall the next holder, a precondition leaves
 * nothing behind. The callables (functions/src/stores) do use transactions: they are short, hold
 * no lease, and Firestore retries them for us.
 */

export interface Lease {
  holder: string;
  untilMs: number;
  epoch: number;
  /** Given back by its holder: free at once, its epoch kept for the next claim. */
  released?: boolean;
}

export type LeaseState = "free" | "ours" | "theirs";

/** Free when never held, released or run out; otherwise whose it is at `nowMs` (server time). */
export function leaseState(lease: Lease | null | undefined, me: string, nowMs: number): LeaseState {
  if (!lease || lease.released || lease.untilMs <= nowMs) return "free";
  return lease.holder === me ? "ours" : "theirs";
}

/** The fence: a write under `epoch` is ours only while the lease still names us under it. */
export function holdsLease(lease: Lease | null | undefined, me: string, epoch: number): boolean {
  return !!lease && !lease.released && lease.holder === me && lease.epoch === epoch;
}

/** The epoch a new claim takes: one past the last holder's, so every earlier holder is fenced. */
export const nextEpoch = (lease: Lease | null | undefined) => (lease?.epoch ?? 0) + 1;

/** `Claimed`: what a claim hands over besides the epoch (an outbox entry's message, say). */
export type LeaseClaim<Claimed extends object = object> =
  /** `takeover`: another holder's lease ran out (it died or hung) rather than being released. */
  | ({ kind: "claimed"; epoch: number; takeover: boolean } & Claimed)
  /** `until`: when the live lease runs out (server time). */
  | { kind: "held"; until: number }
  | { kind: "missing" };

export type LeaseWrite = "written" | "fenced" | "missing";
