import type { AccountLeaseStore } from "../accounts/accountLeaseStore";
import type { Logger } from "../logging/logger";
import type { InboundCommit, InboundMessage, InboundRef, Receipt, ReceiptCommit } from "../transport/transport";
import { InboundQueue } from "./inboundQueue";
import type { InboundStore } from "./inboundStore";

export interface InboundBackpressureOptions {
  store: InboundStore;
  logger: Logger;
  /** Inbound messages held before the sockets are paused. */
  capacity: number;
  /** Failing that long, inbound storage is marked stuck on the account (an incident). */
  stuckAfterMs: number;
  /** Marks are written under the account lease. */
  accounts: Pick<AccountLeaseStore, "markInboundStuck">;
  /** The epoch this worker holds the account under, if it holds it. */
  epochOf(accountId: string): number | undefined;
  /** Close every socket, keeping the leases; and connect them again once half drained. */
  pause(): void;
  resume(): void;
}

/**
 * Between the sockets and the inbound store: received messages queue (stored in order per
 * account, retried until stored); past `capacity` every socket is paused, since WhatsApp keeps what
 * it has not delivered, and resumed once half drained; an account whose messages cannot be stored
 * for `stuckAfterMs` is marked `inboundStuckSince` (the watchdog's inbound_backlog incident).
 */
export class InboundBackpressure {
  private readonly queue: InboundQueue;
  private pausedNow = false;
  /** Accounts marked `inboundStuckSince` by this worker. */
  private readonly stuckAccounts = new Set<string>();

  constructor(private readonly o: InboundBackpressureOptions) {
    this.queue = new InboundQueue({
      store: (accountId, message) => o.store.store(accountId, message),
      logger: o.logger,
      capacity: o.capacity,
      concurrency: 8,
      stuckAfterMs: o.stuckAfterMs,
      onSaturated: () => {
        this.pausedNow = true;
        o.pause();
      },
      onDrained: () => {
        this.pausedNow = false;
        o.resume();
      },
      onStuck: (accountIds, sinceMs) => this.markStuck(accountIds, sinceMs),
      onUnstuck: () => this.markStuck([...this.stuckAccounts], null),
    });
  }

  /** Sockets are held closed until the queue drains. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Resolves once the message is committed (or given up at shutdown). */
  push(accountId: string, message: InboundMessage): Promise<InboundCommit> {
    return this.queue.push(accountId, message);
  }

  /** Whether a message delivered again was stored before; not known (a read failed) counts as no. */
  stored(accountId: string, ref: InboundRef): Promise<boolean> {
    return this.o.store.stored(accountId, ref).catch((err: Error) => {
      this.o.logger.warn({ accountId, messageId: ref.messageId, err: err.message }, "inbound_stored_check_failed");
      return false;
    });
  }

  /** Receipts move message status; they never wait in the queue. */
  receipt(accountId: string, receipt: Receipt): Promise<ReceiptCommit> {
    return this.o.store.receipt(accountId, receipt).then(
      (result) => {
        this.o.logger.debug({ accountId, messageId: receipt.messageId, status: receipt.status, result }, "receipt");
        return "applied" as const;
      },
      (err: Error) => {
        this.o.logger.error({ accountId, err }, "receipt_failed");
        return "failed" as const;
      },
    );
  }

  /** Inbound messages received and not yet stored. */
  size(): number {
    return this.queue.size();
  }

  /** Stores what was received, as far as the shutdown allows, then stops retrying. */
  async drain(): Promise<void> {
    await this.queue.idle();
    this.queue.stop();
  }

  /** `drain`, or `boundMs` gone by, whichever comes first. */
  async drainWithin(boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((resolve) => (timer = setTimeout(resolve, boundMs)))]);
    clearTimeout(timer);
  }

  /** Marks (a time) or clears (null) `inboundStuckSince` on the held accounts named; best effort. */
  private markStuck(accountIds: string[], sinceMs: number | null): void {
    for (const accountId of accountIds) {
      if (sinceMs === null) this.stuckAccounts.delete(accountId);
      const epoch = this.o.epochOf(accountId);
      if (epoch === undefined) continue;
      if (sinceMs !== null) this.stuckAccounts.add(accountId);
      void this.o.accounts
        .markInboundStuck(accountId, epoch, sinceMs)
        .catch((err: Error) => this.o.logger.warn({ accountId, err: err.message }, "inbound_stuck_mark_failed"));
    }
  }
}
