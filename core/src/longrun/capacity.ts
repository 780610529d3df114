import { wantsSocket } from "../accounts/connection";
import { ACCOUNT_STATUSES, type AccountStatus } from "../documents/account";
import { formatDuration } from "./alertMessage";
import { GLOBAL_KEY, type Evaluation } from "./incidents";

/**
 * The worker fleet's size follows its accounts. Cloud Run scales on requests and the worker serves
 * none, so it never adds an instance for account 51: past the running workers' room, accounts sit
 * with no socket, no inbound and no delivery. The capacity job sets the service's minimum
 * instances to what the accounts need plus a spare (so a worker that dies has a place to hand its
 * accounts to), and the watchdog's `accounts_unheld` says when accounts have no worker anyway.
 */

/** Accounts that need a socket (the statuses a worker claims in): a person may be linking them, or they are linked. */
export const HELD_STATUSES: readonly AccountStatus[] = ACCOUNT_STATUSES.filter(wantsSocket);

/** Two account leases (ACCOUNT_LEASE_SEC, 30 s): a takeover or a restart is over well before. */
export const UNHELD_AFTER_MS = 2 * 30_000;

export interface CapacityPolicy {
  /** Sockets one worker holds (the worker's MAX_ACCOUNTS_PER_WORKER). */
  accountsPerWorker: number;
  /** Instances beyond the need: room for the accounts of a worker that dies. */
  spare: number;
  /** The service's ceiling: never more. */
  maxInstances: number;
}

/** The minimum instances the accounts need, spare included, within [1, maxInstances]. */
export function instancesFor(liveAccounts: number, policy: CapacityPolicy): number {
  const needed = Math.ceil(liveAccounts / policy.accountsPerWorker) + policy.spare;
  return Math.min(policy.maxInstances, Math.max(1, needed));
}

/** Accounts that need a socket and have had no worker for over UNHELD_AFTER_MS (a few named). */
export interface UnheldAccounts {
  count: number;
  sample: string[];
}

export function evaluateUnheldAccounts(unheld: UnheldAccounts): Evaluation {
  const active = unheld.count > 0;
  return {
    type: "accounts_unheld",
    key: GLOBAL_KEY,
    active,
    reason: active
      ? `${unheld.count} accounts have had no worker for over ${formatDuration(UNHELD_AFTER_MS / 1000)} (${unheld.sample.join(", ")}${unheld.count > unheld.sample.length ? ", …" : ""}): no socket, no inbound, no delivery for them`
      : "every account that needs a worker has one",
  };
}
