import type { AccountStatus } from "../documents/account";
import type { Evaluation } from "./incidents";

/**
 * A Cloud API account's access token that is about to expire is an incident
 * (`cloud_token_expiring`) a week ahead, a P1 the last day and once expired: nothing else warns
 * before Meta starts refusing it (401/190, then account_down token_refused).
 */
export const TOKEN_WARNING_MS = 7 * 86_400_000;
const TOKEN_P1_MS = 86_400_000;

/** An account whose token expires within TOKEN_WARNING_MS, or named by an open cloud_token_expiring. */
export interface CloudTokenExpiry {
  accountId: string;
  status: AccountStatus;
  /** null: the token does not expire, or the account no longer records one. */
  expiresAtMs: number | null;
}

export function evaluateCloudTokens(tokens: CloudTokenExpiry[], nowMs: number): Evaluation[] {
  return tokens.map((t): Evaluation => {
    const gone = t.status === "removed";
    if (gone || t.expiresAtMs === null || t.expiresAtMs - nowMs > TOKEN_WARNING_MS) {
      const why = gone ? "the account is removed" : t.expiresAtMs === null ? "the token does not expire" : "renewed";
      return {
        type: "cloud_token_expiring",
        key: t.accountId,
        active: false,
        reason: `account ${t.accountId}: ${why}`,
      };
    }
    const left = t.expiresAtMs - nowMs;
    const when = new Date(t.expiresAtMs).toISOString();
    return {
      type: "cloud_token_expiring",
      key: t.accountId,
      active: true,
      ...(left <= TOKEN_P1_MS ? { severity: "P1" as const } : {}),
      reason:
        left <= 0
          ? `account ${t.accountId}: its Cloud API access token expired at ${when}`
          : `account ${t.accountId}: its Cloud API access token expires at ${when} (in ${Math.ceil(left / 3_600_000)} h)`,
    };
  });
}
