import type { AccountStatus } from "../documents/account";
import { backoffMs } from "../outbox/lifecycle";

/**
 * The account connection, as its lease holder drives it (worker/src/accounts/accountManager.ts).
 * One socket per account at a time; its events are handled one after another.
 *
 *            claim                      qr / pairing code
 *   (free) ────────► connecting ────────────────────────► pending_qr
 *                      ▲   │ open                             │ scanned: close 515
 *      reconnect now   │   ▼                                  ▼
 *      (515) ──────────┤ connected ── close ──► afterClose(): reconnect_now ──► connecting
 *                      │                                     reconnect_later ─► disconnected ─(delay)─► connecting
 *                      └─────────────────────────────────────┘ (more than perHour closes in an hour:
 *                                                                the delay is the cool-down)
 *                                                   stop ─► logged_out (401, 403: session deleted, lease released)
 *                                                        ─► needs_qr   (411: session deleted; a QR left unscanned:
 *                                                                       kept; waits for regenerate-QR)
 *
 * A close whose record finds the lease gone (440 when another worker took the account, any close
 * after a takeover) lets the account go instead: the record is a fenced write, "fenced" means stop.
 */

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
  /**
   * Not Baileys': a Cloud API account's close when its access token is refused by Meta (401,
   * code 190) or cannot be read from Secret Manager. Transient (the worker reconnects, reading the
   * token again); the watchdog names it, since only a person can store a new token.
   */
  cloudApiTokenRefused: 4190,
} as const;

/** How reconnects are paced: backoff from `baseMs` doubling to `maxMs`, a cool-down past `perHour`. */
export interface ReconnectPolicy {
  baseMs: number;
  maxMs: number;
  /** Closes in an hour beyond which the account cools down (the watchdog's reconnect_loop threshold). */
  perHour: number;
  cooldownMs: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  baseMs: 1000,
  maxMs: 60_000,
  perHour: 5,
  cooldownMs: 15 * 60_000,
};

/** What the holder knows when a socket closes. */
export interface SocketClose {
  code: number | undefined;
  /** The socket showed a QR or pairing code: it was linking a phone, not running a linked session. */
  wasLinking: boolean;
  /** Closes of this account in the last hour, this one included (from the account document). */
  closesInLastHour: number;
  /** Reconnects in a row that have not reached `open`, this one included. */
  failures: number;
}

/** What the account's holder does after a socket closes. */
export type AfterClose =
  | { kind: "reconnect_now" }
  | { kind: "reconnect_later"; delayMs: number; cooldown: boolean }
  | { kind: "stop"; status: "logged_out" | "needs_qr"; dropSession: boolean };

export function afterClose(
  close: SocketClose,
  policy: ReconnectPolicy = DEFAULT_RECONNECT_POLICY,
  random: () => number = Math.random,
): AfterClose {
  switch (close.code) {
    case DisconnectCode.restartRequired:
      // 515 right after pairing: the new creds are stored, the next socket logs in with them.
      return { kind: "reconnect_now" };
    case DisconnectCode.loggedOut:
    case DisconnectCode.forbidden:
      // The phone unlinked us (or WhatsApp banned the number): the session is worthless.
      return { kind: "stop", status: "logged_out", dropSession: true };
    case DisconnectCode.multideviceMismatch:
      return { kind: "stop", status: "needs_qr", dropSession: true };
  }
  // A QR that timed out unscanned is not an outage: wait for someone to ask for a new one.
  if (close.wasLinking) return { kind: "stop", status: "needs_qr", dropSession: false };
  // 408, 428, 440, 503, 500 (Baileys' catch-all for stream and WebSocket errors, a network blip as
  // often as not) and anything unknown: transient, keep the session, never a tight loop.
  if (close.closesInLastHour > policy.perHour)
    return { kind: "reconnect_later", delayMs: policy.cooldownMs, cooldown: true };
  return { kind: "reconnect_later", delayMs: reconnectDelayMs(close.failures, policy, random), cooldown: false };
}

/** The status the account document shows while the holder carries out `next`. */
export function statusAfterClose(next: AfterClose): AccountStatus {
  return next.kind === "reconnect_now" ? "connecting" : next.kind === "stop" ? next.status : "disconnected";
}

/** Reconnect delay: the outbox's backoff, from `baseMs` doubling to `maxMs`, with jitter. */
export function reconnectDelayMs(
  failures: number,
  policy: Pick<ReconnectPolicy, "baseMs" | "maxMs"> = DEFAULT_RECONNECT_POLICY,
  random: () => number = Math.random,
): number {
  return backoffMs(
    failures,
    { maxAttempts: Number.POSITIVE_INFINITY, baseMs: policy.baseMs, maxMs: policy.maxMs },
    random,
  );
}

/** Statuses in which no worker should hold a socket for the account. */
export const DORMANT_STATUSES: ReadonlySet<AccountStatus> = new Set(["logged_out", "removed"]);

/** Statuses a worker claims the account in: not dormant, and not waiting for a person (needs_qr). */
export function wantsSocket(status: AccountStatus): boolean {
  return !DORMANT_STATUSES.has(status) && status !== "needs_qr";
}

/** Closes within the hour before `nowMs`, from the account document's `recentDisconnects`. */
export function closesWithinHour(recentMs: readonly number[], nowMs: number): number {
  return recentMs.filter((t) => t > nowMs - 3_600_000).length;
}
