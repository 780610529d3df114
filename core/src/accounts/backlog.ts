import type { AccountStatus } from "../documents/account";

/**
 * What becomes of messages still queued for an account that cannot send (the send callable
 * refuses new ones for it, so the backlog only shrinks):
 *
 * - `removed`: failed at once, with the reason; nobody will ever send them.
 * - `logged_out`: held for `holdMs` after the logout, so a re-link (regenerate QR) sends them;
 *   past that, failed with the reason. A re-link after the hold sends nothing days old.
 * - any other status: not a backlog; the account's holder delivers it.
 */
export type BacklogVerdict = { kind: "fail"; reason: string } | { kind: "hold"; untilMs: number } | { kind: "none" };

export function backlogVerdict(
  account: { status: AccountStatus; dormantSinceMs: number },
  nowMs: number,
  holdMs: number,
): BacklogVerdict {
  switch (account.status) {
    case "removed":
      return { kind: "fail", reason: "the account was removed" };
    case "logged_out": {
      const untilMs = account.dormantSinceMs + holdMs;
      if (nowMs < untilMs) return { kind: "hold", untilMs };
      return { kind: "fail", reason: `the account was logged out more than ${Math.round(holdMs / 3_600_000)} h ago` };
    }
    default:
      return { kind: "none" };
  }
}
