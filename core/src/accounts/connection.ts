import type { AccountStatus } from "../documents/account";
import { backoffMs } from "../outbox/lifecycle";

/**
 * Disconnect codes, as Baileys' `DisconnectReason` reports them (statusCode of the Boom error
 * in `connection.update`).
 */
export const DisconnectCode = {
  connectionClosed: 428,
  connectionLost: 408,
  timedOut: 408,
  connectionReplaced: 440,
  loggedOut: 401,
  badSession: 500,
  restartRequired: 515,
  multideviceMismatch: 411,
  forbidden: 403,
  unavailableService: 503,
} as const;

/** What the account's owner does after a socket closes. */
export type AfterClose =
  | { kind: "reconnect_now" }
  | { kind: "reconnect_backoff"; status: AccountStatus }
  | { kind: "stop"; status: AccountStatus; dropSession: boolean };

export function afterClose(code: number | undefined): AfterClose {
  switch (code) {
    case DisconnectCode.restartRequired:
      return { kind: "reconnect_now" };
    case DisconnectCode.loggedOut:
    case DisconnectCode.forbidden:
      // The phone unlinked us (or WhatsApp banned the number): the session is worthless.
      return { kind: "stop", status: "logged_out", dropSession: true };
    case DisconnectCode.multideviceMismatch:
      return { kind: "stop", status: "needs_qr", dropSession: true };
    default:
      // 408, 428, 440, 503, 500 (Baileys' catch-all for stream and WebSocket errors, a network
      // blip as often as not) and anything unknown: transient, back off, keep the session.
      return { kind: "reconnect_backoff", status: "disconnected" };
  }
}

/** Reconnect delay: the outbox's backoff, from 1 s doubling to 60 s, with jitter. */
export function reconnectDelayMs(failures: number, random: () => number = Math.random): number {
  return backoffMs(failures, { maxAttempts: Number.POSITIVE_INFINITY, baseMs: 1000, maxMs: 60_000 }, random);
}

/** Statuses in which no worker should hold a socket for the account. */
export const DORMANT_STATUSES: ReadonlySet<AccountStatus> = new Set(["logged_out", "removed"]);

/** The account lease: free, ours, or someone else's until it expires. */
export type AccountLeaseState = "free" | "ours" | "theirs";

export function accountLeaseState(
  owner: { workerId: string; leaseUntilMs: number } | null,
  workerId: string,
  nowMs: number,
): AccountLeaseState {
  if (!owner || owner.leaseUntilMs <= nowMs) return "free";
  return owner.workerId === workerId ? "ours" : "theirs";
}
