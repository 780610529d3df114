import { DisconnectCode } from "../accounts/connection";
import type { AccountStatus } from "../documents/account";
import type { MonitoringConfig } from "../documents/longrun";
import { formatDuration } from "./alertMessage";
import type { Evaluation } from "./incidents";

/**
 * One account down is an incident (`account_down`), whatever the cause, once it has been down
 * `accountDownMinutes`; a P1 past `accountDownP1Minutes`. The worker reconnects by itself first:
 * the threshold is the time it gets. Logged-out accounts have their own P1 (`logged_out`).
 */

/** How many down accounts a watchdog run reads (beyond those with an open incident): the worst are enough to act. */
export const ACCOUNT_LIVENESS_PAGE = 200;

/** Why an account is not sending, most actionable first. */
export type DownCause = "no_holder" | "cooling_down" | "needs_qr" | "token_refused" | "disconnected";

/** An account as the watchdog reads it for this check (only those not connected, or named by an open account_down). */
export interface AccountLiveness {
  id: string;
  status: AccountStatus;
  /** Lease end of the worker holding its socket; null: never held. */
  leaseUntilMs: number | null;
  cooldownUntilMs: number | null;
  lastDisconnectMs: number | null;
  /** The code of its last close (DisconnectCode), or null. */
  lastDisconnectCode: number | null;
  createdMs: number;
}

const ADVICE: Record<DownCause, string> = {
  no_holder: "no worker holds it: check a worker is running (its /healthz) and has room (accounts per worker)",
  cooling_down:
    "it is cooling down after reconnecting in a loop: read lastDisconnect.code; it retries by itself when the cooldown ends",
  needs_qr: "it needs a new QR: call whatsappProxyRegenerateQr and scan the QR from the phone",
  token_refused:
    "Meta refuses its Cloud API access token, or the worker cannot read it: store a valid token as a new version of the secret the account names (cloudApi.tokenSecret) and check the worker's secretAccessor on it; it reconnects by itself",
  disconnected:
    "its socket keeps failing to connect: read lastDisconnect.code and the worker's logs; remove and re-add it if it persists",
};

/** Down, and since when; or up. */
export function accountDownState(
  a: AccountLiveness,
  nowMs: number,
): { down: false } | { down: true; cause: DownCause; sinceMs: number } {
  if (a.status === "removed" || a.status === "logged_out") return { down: false };
  const held = a.leaseUntilMs !== null && a.leaseUntilMs > nowMs;
  if (a.status === "connected" && held) return { down: false };
  const sinceDisconnect = a.lastDisconnectMs ?? a.createdMs;
  // A person must scan: the worker gave the lease back on purpose (nobody holds a needs_qr account).
  if (a.status === "needs_qr" || a.status === "pending_qr")
    return { down: true, cause: "needs_qr", sinceMs: Math.min(sinceDisconnect, nowMs) };
  // Before the cool-down: a person must store a new token, however the reconnects are paced.
  if (a.status !== "connected" && a.lastDisconnectCode === DisconnectCode.cloudApiTokenRefused)
    return { down: true, cause: "token_refused", sinceMs: Math.min(sinceDisconnect, nowMs) };
  if (a.cooldownUntilMs !== null && a.cooldownUntilMs > nowMs)
    return { down: true, cause: "cooling_down", sinceMs: Math.min(sinceDisconnect, nowMs) };
  if (!held) {
    // A connected status under an expired lease is stale: nobody has held it since the lease ran out.
    const since = a.status === "connected" ? (a.leaseUntilMs ?? a.createdMs) : sinceDisconnect;
    return { down: true, cause: "no_holder", sinceMs: Math.min(since, nowMs) };
  }
  return { down: true, cause: "disconnected", sinceMs: Math.min(sinceDisconnect, nowMs) };
}

export function evaluateAccountsDown(
  accounts: AccountLiveness[],
  config: MonitoringConfig,
  nowMs: number,
): Evaluation[] {
  const t = config.alertThresholds;
  return accounts.map((a): Evaluation => {
    const state = accountDownState(a, nowMs);
    if (!state.down)
      return { type: "account_down", key: a.id, active: false, reason: `account ${a.id} is ${a.status}` };
    const downMs = nowMs - state.sinceMs;
    return {
      type: "account_down",
      key: a.id,
      active: downMs > t.accountDownMinutes * 60_000,
      atMs: state.sinceMs,
      ...(downMs > t.accountDownP1Minutes * 60_000 ? { severity: "P1" as const } : {}),
      reason: `account ${a.id} down for ${formatDuration(downMs / 1000)} (${state.cause}, status ${a.status}): ${ADVICE[state.cause]}`,
    };
  });
}
