import type { Logger } from "../logging/logger";
import type { AccountDelivery } from "../outbox/accountDelivery";
import type { ReachoutUpdate } from "../transport/transport";
import type { AccountLeaseStore } from "./accountLeaseStore";

/**
 * One held account's reach-out state as WhatsApp tells it (timelock, new-chat quota): first
 * messages follow a lock at once, and the account document shows both (the watchdog's
 * reachout_timelock incident reads the lock there), recorded in the order WhatsApp said them: a
 * pushed lock and the query's answer a moment later must not land the other way round.
 */
export class ReachoutRecord {
  /** The last record asked for (each waits for the one before). */
  private recorded: Promise<void> = Promise.resolve();

  constructor(
    private readonly accountId: string,
    private readonly epoch: number,
    private readonly o: { accounts: AccountLeaseStore; delivery: AccountDelivery; logger: Logger },
  ) {}

  update(update: ReachoutUpdate): void {
    const { accountId, epoch, o } = this;
    if (update.kind === "lock") {
      const { active, untilMs, enforcement } = update.lock;
      o.delivery.lockChanged(update.lock);
      const until = untilMs === null ? null : new Date(untilMs).toISOString();
      if (active) o.logger.warn({ accountId, until, enforcement }, "account_reachout_locked");
      else o.logger.info({ accountId }, "account_reachout_unlocked");
    }
    this.recorded = this.recorded.then(() =>
      o.accounts.recordReachout(accountId, epoch, update).then(
        () => undefined,
        (err: Error) =>
          o.logger.warn({ accountId, kind: update.kind, err: err.message }, "account_reachout_record_failed"),
      ),
    );
  }
}
