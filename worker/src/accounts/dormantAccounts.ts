import { leaseState, type LeaseState } from "@wa-gateway/core";
import { backlogVerdict, DORMANT_STATUSES } from "@wa-gateway/core/accounts";
import { type AccountStatus } from "@wa-gateway/core/documents";
import type { Logger } from "../logging/logger";
import type { OutboxStore } from "../outbox/outboxPort";
import type { ServerClock } from "../serverClock";
import type { AccountLeaseStore, AccountView } from "./accountLeaseStore";

/** An account no worker holds a socket for (removed, logged out), as the accounts listener saw it. */
export interface DormantAccount {
  accountId: string;
  status: AccountStatus;
  /** When it became removed or logged out (server time). */
  dormantSinceMs: number;
  /** A removed account's session keys are still stored. */
  sessionLeft: boolean;
  /** Entries may still wait for it (none resolved since it became dormant). */
  backlogLeft: boolean;
  /** A removed account's files may still be in the media bucket. */
  mediaLeft: boolean;
  lease: LeaseState;
}

/** The removed and logged-out accounts no socket here holds that have something left to finish. */
export function dormantAccountsOf(
  seen: ReadonlyMap<string, AccountView>,
  held: (accountId: string) => boolean,
  workerId: string,
  nowMs: number,
): DormantAccount[] {
  const out: DormantAccount[] = [];
  for (const [accountId, view] of seen) {
    if (!DORMANT_STATUSES.has(view.status) || held(accountId)) continue;
    const dormantSinceMs = view.status === "removed" ? view.removedAtMs : view.lastDisconnectAtMs;
    const account: DormantAccount = {
      accountId,
      status: view.status,
      dormantSinceMs,
      sessionLeft: view.status === "removed" && view.sessionClearedAtMs < view.removedAtMs,
      backlogLeft: view.backlogResolvedAtMs < dormantSinceMs,
      mediaLeft: view.status === "removed" && view.mediaClearedAtMs < view.removedAtMs,
      lease: leaseState(view.owner, workerId, nowMs),
    };
    if (account.sessionLeft || account.backlogLeft || account.mediaLeft) out.push(account);
  }
  return out;
}

export interface DormantAccountsOptions {
  accounts: AccountLeaseStore;
  outbox: OutboxStore;
  clock: ServerClock;
  logger: Logger;
  /** How long a logged-out account's backlog waits for a re-link (core/accounts/backlog.ts). */
  loggedOutHoldMs: number;
  /** Entries failed per account per pass. */
  page: number;
  /** A removed account's files and pending downloads, deleted (absent: no media bucket here). */
  media?: { deleteAccountFiles(accountId: string): Promise<number> };
}

/**
 * Finishes what a removal or logout leaves behind, whoever was holding the account then:
 * a removed account's session is deleted (under the account lease, so never while another
 * worker still writes it), and its backlog, or a logged-out one's past the hold, is failed with
 * the reason, so every client sees a final status and no incident waits on it for ever.
 */
export class DormantAccounts {
  constructor(private readonly o: DormantAccountsOptions) {}

  async tend(accounts: DormantAccount[]): Promise<void> {
    for (const account of accounts) {
      try {
        if (account.status === "removed" && account.sessionLeft && account.lease !== "theirs")
          await this.deleteSession(account.accountId);
        if (account.backlogLeft) await this.resolveBacklog(account);
        if (account.mediaLeft) await this.deleteMedia(account.accountId);
      } catch (err) {
        this.o.logger.error({ accountId: account.accountId, err }, "dormant_account_failed");
      }
    }
  }

  private async deleteSession(accountId: string): Promise<void> {
    const { accounts, logger } = this.o;
    const claim = await accounts.claim(accountId);
    if (claim.kind !== "claimed") return;
    try {
      const result = await accounts.session(accountId, claim.epoch).clear();
      logger.info({ accountId, result }, "removed_account_session_deleted");
    } finally {
      await accounts.release(accountId, claim.epoch);
    }
  }

  /** A removed account's files go with it: every object under `media/{accountId}/`. */
  private async deleteMedia(accountId: string): Promise<void> {
    const deleted = this.o.media ? await this.o.media.deleteAccountFiles(accountId) : 0;
    await this.o.accounts.markMediaCleared(accountId);
    this.o.logger.info({ accountId, deleted }, "removed_account_media_deleted");
  }

  private async resolveBacklog(account: DormantAccount): Promise<void> {
    const verdict = backlogVerdict(account, this.o.clock.now(), this.o.loggedOutHoldMs);
    if (verdict.kind !== "fail") return;
    const { failed, more } = await this.o.outbox.failBacklog(account.accountId, verdict.reason, this.o.page);
    if (failed > 0)
      this.o.logger.warn({ accountId: account.accountId, failed, reason: verdict.reason }, "backlog_failed");
    if (!more) await this.o.accounts.markBacklogResolved(account.accountId);
  }
}
