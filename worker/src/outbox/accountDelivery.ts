import type { NewContactPolicy, ReachoutLock } from "@wa-gateway/core/outbox";
import type { Logger } from "../logging/logger";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import type { ServerClock } from "../serverClock";
import type { AccountSocket } from "../transport/transport";
import { AccountOutbox, type AccountOutboxOptions } from "./accountOutbox";
import type { PendingEntry } from "./outboxPort";
import type { OutboxWatcher } from "./outboxWatcher";
import { ReachoutGate, type ReachoutSnapshot } from "./reachoutGate";

/** What an account's delivery loop needs besides its socket (AccountOutbox's settings). */
export type DeliverySettings = Pick<
  AccountOutboxOptions,
  "store" | "pacing" | "leaseSec" | "sendTimeoutMs" | "sweepMs" | "sweepPage" | "media"
> & {
  /** Off: the sweep alone finds work (see docs/worker.md: the emulator and big outboxes). */
  listener: boolean;
  /** The new-contact budget and its warm-up (null: none; a timelock still holds first messages). */
  newContacts: NewContactPolicy | null;
};

export interface DeliveryParts {
  settings: DeliverySettings;
  watcher: OutboxWatcher;
  logger: Logger;
  metrics: WorkerMetrics;
  clock: ServerClock;
}

/** What the account document told its new holder: its age (for the warm-up) and any timelock. */
export interface ReachoutSeen {
  accountAddedMs: number;
  lock: ReachoutLock | null;
}

/**
 * A held account's delivery: one AccountOutbox on its open socket at a time, and the account's
 * place in the worker's queued-entries listener while that loop runs. Its reach to new contacts
 * (ReachoutGate) lasts as long as the lease, across sockets.
 */
export class AccountDelivery {
  private outbox: AccountOutbox | undefined;
  private readonly reachout: ReachoutGate;

  constructor(
    private readonly accountId: string,
    private readonly parts: DeliveryParts,
    seen: ReachoutSeen,
  ) {
    const { settings, clock, logger } = parts;
    this.reachout = new ReachoutGate({
      accountId,
      policy: settings.newContacts,
      accountAddedMs: seen.accountAddedMs,
      store: settings.store,
      now: () => clock.now(),
      logger,
      lock: seen.lock,
    });
  }

  /** Delivers through `socket`; `onSendHung` is told when a send there gets no outcome in time. */
  start(socket: AccountSocket, onSendHung: () => void): void {
    const { listener, newContacts: _policy, ...settings } = this.parts.settings;
    const { logger, metrics, clock, watcher } = this.parts;
    this.reachout.seed();
    this.outbox = new AccountOutbox({
      ...settings,
      accountId: this.accountId,
      socket,
      logger,
      metrics,
      clock,
      onSendHung,
      reachout: this.reachout,
    });
    this.outbox.start();
    if (listener) watcher.add(this.accountId);
  }

  /** Ends the loop after its in-flight send; the socket is the caller's to close or keep. */
  async stop(): Promise<void> {
    const { outbox } = this;
    this.outbox = undefined;
    this.reachout.stop();
    this.parts.watcher.remove(this.accountId);
    await outbox?.stop();
  }

  /** A queued entry the worker's listener saw for this account. */
  offer(entry: PendingEntry): void {
    this.outbox?.offer(entry);
  }

  /** WhatsApp told the account's timelock: first messages wait for its end, or go once it is lifted. */
  lockChanged(lock: ReachoutLock): void {
    if (this.reachout.setLock(lock) === "lifted") this.outbox?.lockLifted();
  }

  reachoutSnapshot(): ReachoutSnapshot {
    return this.reachout.snapshot(this.parts.clock.now());
  }
}
