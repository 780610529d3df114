import type { Logger } from "../logging/logger";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import type { ServerClock } from "../serverClock";
import type { AccountSocket } from "../transport/transport";
import { AccountOutbox, type AccountOutboxOptions } from "./accountOutbox";
import type { PendingEntry } from "./outboxPort";
import type { OutboxWatcher } from "./outboxWatcher";

/** What an account's delivery loop needs besides its socket (AccountOutbox's settings). */
export type DeliverySettings = Pick<
  AccountOutboxOptions,
  "store" | "pacing" | "leaseSec" | "sendTimeoutMs" | "sweepMs" | "sweepPage"
> & {
  /** Off: the sweep alone finds work (see docs/worker.md: the emulator and big outboxes). */
  listener: boolean;
};

export interface DeliveryParts {
  settings: DeliverySettings;
  watcher: OutboxWatcher;
  logger: Logger;
  metrics: WorkerMetrics;
  clock: ServerClock;
}

/**
 * A held account's delivery: one AccountOutbox on its open socket at a time, and the account's
 * place in the worker's queued-entries listener while that loop runs.
 */
export class AccountDelivery {
  private outbox: AccountOutbox | undefined;

  constructor(
    private readonly accountId: string,
    private readonly parts: DeliveryParts,
  ) {}

  /** Delivers through `socket`; `onSendHung` is told when a send there gets no outcome in time. */
  start(socket: AccountSocket, onSendHung: () => void): void {
    const { listener, ...settings } = this.parts.settings;
    const { logger, metrics, clock, watcher } = this.parts;
    this.outbox = new AccountOutbox({
      ...settings,
      accountId: this.accountId,
      socket,
      logger,
      metrics,
      clock,
      onSendHung,
    });
    this.outbox.start();
    if (listener) watcher.add(this.accountId);
  }

  /** Ends the loop after its in-flight send; the socket is the caller's to close or keep. */
  async stop(): Promise<void> {
    const { outbox } = this;
    this.outbox = undefined;
    this.parts.watcher.remove(this.accountId);
    await outbox?.stop();
  }

  /** A queued entry the worker's listener saw for this account. */
  offer(entry: PendingEntry): void {
    this.outbox?.offer(entry);
  }
}
