import type { Logger } from "../logging/logger";
import type { InboundCommit, InboundMessage } from "../transport/transport";
import type { InboundResult } from "./inboundStore";

interface Pending {
  accountId: string;
  message: InboundMessage;
  attempts: number;
  settle: (commit: InboundCommit) => void;
}

export interface InboundQueueOptions {
  store: (accountId: string, message: InboundMessage) => Promise<InboundResult>;
  logger: Logger;
  /** Messages held before the queue asks for backpressure (sockets paused until half drained). */
  capacity: number;
  /** Stores in flight at once (of different accounts). */
  concurrency: number;
  /** Told when the queue fills (pause the sockets) and when it has drained to half (resume). */
  onSaturated: () => void;
  onDrained: () => void;
  /** Past this long failing, every retry logs at error (Error Reporting picks it up) and `onStuck` is told once. */
  stuckAfterMs: number;
  /** The accounts whose messages wait, once stores have failed for `stuckAfterMs` (the incident). */
  onStuck: (accountIds: string[], sinceMs: number) => void;
  /** Everything is stored again. */
  onUnstuck: () => void;
}

/**
 * Inbound messages between the socket and Firestore. A store that fails is retried (backoff up
 * to 30 s) until it succeeds, never dropped; the store is idempotent (inbound dedupe), so a retry
 * stores it once. `push` resolves once the message is committed: only then does the transport
 * send WhatsApp the delivery receipt (until then WhatsApp redelivers it after a restart). Past
 * `capacity` the sockets are paused (WhatsApp keeps what it has not delivered), so the buffer
 * stays bounded by the capacity plus what was already in flight.
 */
export class InboundQueue {
  private readonly waiting: Pending[] = [];
  private inFlight = 0;
  /** Accounts with a store in flight. */
  private readonly storing = new Set<string>();
  private saturated = false;
  private oldestFailingSinceMs: number | null = null;
  private stuck = false;
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly o: InboundQueueOptions) {}

  push(accountId: string, message: InboundMessage): Promise<InboundCommit> {
    // Stopped: nothing more is stored, and no receipt waits for it (WhatsApp delivers it again).
    if (this.stopped) return Promise.resolve("not_committed");
    let settle!: (commit: InboundCommit) => void;
    const commit = new Promise<InboundCommit>((resolve) => (settle = resolve));
    this.waiting.push({ accountId, message, attempts: 0, settle });
    if (!this.saturated && this.size() >= this.o.capacity) {
      this.saturated = true;
      this.o.logger.warn({ size: this.size() }, "inbound_backpressure_on");
      this.o.onSaturated();
    }
    this.pump();
    return commit;
  }

  /** Messages received and not yet stored. */
  size(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Resolves once every message received so far is stored (or the queue is stopped). */
  idle(): Promise<void> {
    if (this.size() === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying; what is left is logged (the worker is going away). */
  stop(): void {
    this.stopped = true;
    if (this.size() > 0) this.o.logger.error({ unstored: this.size() }, "inbound_unstored_at_stop");
    // Not receipted, so WhatsApp delivers them again to the next holder.
    for (const p of this.waiting) p.settle("not_committed");
    this.idleWaiters.splice(0).forEach((r) => r());
  }

  /**
   * Up to `concurrency` accounts at once, one message at a time per account: an account's
   * messages are stored in the order they arrived, and never contend for their thread document.
   */
  private pump(): void {
    while (!this.stopped && this.inFlight < this.o.concurrency) {
      const index = this.waiting.findIndex((p) => !this.storing.has(p.accountId));
      if (index < 0) return;
      const [next] = this.waiting.splice(index, 1);
      this.inFlight++;
      this.storing.add(next!.accountId);
      void this.storeOne(next!).finally(() => {
        this.inFlight--;
        this.storing.delete(next!.accountId);
        this.afterStore();
      });
    }
  }

  private async storeOne(p: Pending): Promise<void> {
    const { accountId, message } = p;
    for (;;) {
      try {
        p.attempts++;
        const result = await this.o.store(accountId, message);
        this.o.logger.info(
          { accountId, messageId: message.messageId, result, attempts: p.attempts },
          "inbound_message",
        );
        this.oldestFailingSinceMs = null;
        p.settle("committed");
        return;
      } catch (err) {
        const now = Date.now();
        this.oldestFailingSinceMs ??= now;
        const stuck = now - this.oldestFailingSinceMs > this.o.stuckAfterMs;
        const fields = { accountId, messageId: message.messageId, attempts: p.attempts, backlog: this.size(), err };
        if (stuck) this.o.logger.error(fields, "inbound_store_stuck");
        else this.o.logger.warn(fields, "inbound_store_retry");
        if (stuck && !this.stuck) {
          this.stuck = true;
          this.o.onStuck(this.waitingAccounts(accountId), this.oldestFailingSinceMs);
        }
        if (this.stopped) return p.settle("not_committed");
        await new Promise((r) => setTimeout(r, Math.min(30_000, 100 * 2 ** Math.min(p.attempts - 1, 9))));
        if (this.stopped) return p.settle("not_committed");
      }
    }
  }

  private afterStore(): void {
    if (this.saturated && this.size() <= this.o.capacity / 2) {
      this.saturated = false;
      this.o.logger.info({ size: this.size() }, "inbound_backpressure_off");
      this.o.onDrained();
    }
    this.pump();
    if (this.size() === 0) {
      if (this.stuck) {
        this.stuck = false;
        this.o.onUnstuck();
      }
      this.idleWaiters.splice(0).forEach((r) => r());
    }
  }

  private waitingAccounts(failing: string): string[] {
    return [...new Set([failing, ...this.waiting.map((p) => p.accountId)])];
  }
}
