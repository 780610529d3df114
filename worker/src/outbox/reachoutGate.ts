import {
  newContactStage,
  reachoutDecision,
  type NewContactPolicy,
  type ReachoutDecision,
  type ReachoutLock,
} from "@wa-gateway/core/outbox";
import type { Logger } from "../logging/logger";
import type { OutboxStore } from "./outboxPort";

const DAY_MS = 86_400_000;
/** A failed read of the day's first messages is tried again after this long; until then none goes. */
const SEED_RETRY_MS = 5_000;

/** What /metrics-json shows of an account's reach to new people. */
export interface ReachoutSnapshot {
  lock: { until: string | null; enforcement: string } | null;
  newContacts: { perHour: number; perDay: number; sentLastHour: number; sentLastDay: number } | null;
}

/**
 * One held account's reach to new contacts: the first messages it sent in the last day (read
 * from the outbox once, then counted here as they go), its warm-up stage, and WhatsApp's
 * timelock as last heard. Lives as long as the account's lease, across reconnects.
 */
export class ReachoutGate {
  private sentAtMs: number[] = [];
  private seeded = false;
  private seedTimer: NodeJS.Timeout | undefined;
  private lock: ReachoutLock | null;

  constructor(
    private readonly o: {
      accountId: string;
      /** null: no budget (NEW_CONTACT_BUDGET=off); the timelock still holds. */
      policy: NewContactPolicy | null;
      /** When the account was added: the warm-up counts its days from there. */
      accountAddedMs: number;
      store: Pick<OutboxStore, "firstContactsSentSince">;
      now: () => number;
      logger: Logger;
      lock: ReachoutLock | null;
    },
  ) {
    this.lock = o.lock;
  }

  /** Reads the last day's first messages, retrying until it can: until then, no first message goes. */
  seed(): void {
    if (this.seeded || this.seedTimer || !this.o.policy) return;
    const since = this.o.now() - DAY_MS;
    this.o.store.firstContactsSentSince(this.o.accountId, since).then(
      (sent) => {
        this.sentAtMs = [...sent, ...this.sentAtMs];
        this.seeded = true;
      },
      (err: Error) => {
        this.o.logger.warn({ accountId: this.o.accountId, err: err.message }, "new_contact_budget_read_failed");
        this.seedTimer = setTimeout(() => {
          this.seedTimer = undefined;
          this.seed();
        }, SEED_RETRY_MS);
      },
    );
  }

  stop(): void {
    clearTimeout(this.seedTimer);
  }

  /** Whether a first message to a new contact may go now, or until when it waits and why. */
  decide(nowMs: number): ReachoutDecision | { kind: "unknown" } {
    if (!this.o.policy)
      return reachoutDecision(this.lock, [], { fromDay: 0, perHour: Infinity, perDay: Infinity }, nowMs);
    if (!this.seeded) return { kind: "unknown" };
    this.sentAtMs = this.sentAtMs.filter((at) => at > nowMs - DAY_MS);
    return reachoutDecision(this.lock, this.sentAtMs, this.stage(nowMs), nowMs);
  }

  /** A first message is going out now (counted whether or not it arrives: WhatsApp counts the attempt). */
  counted(nowMs: number): void {
    this.sentAtMs.push(nowMs);
  }

  /** WhatsApp told the account's lock; answers whether it was lifted (held messages may go). */
  setLock(lock: ReachoutLock): "lifted" | "locked" | "unchanged" {
    const was = this.lock?.active ?? false;
    this.lock = lock.active ? lock : null;
    if (was && !lock.active) return "lifted";
    return lock.active ? "locked" : "unchanged";
  }

  /** Whether WhatsApp's timelock holds now, as last heard. */
  locked(nowMs: number): boolean {
    return this.lock !== null && (this.lock.untilMs === null || this.lock.untilMs > nowMs);
  }

  snapshot(nowMs: number): ReachoutSnapshot {
    const locked = this.locked(nowMs) ? this.lock : null;
    const stage = this.o.policy ? this.stage(nowMs) : null;
    return {
      lock: locked
        ? {
            until: locked.untilMs === null ? null : new Date(locked.untilMs).toISOString(),
            enforcement: locked.enforcement,
          }
        : null,
      newContacts: stage && {
        perHour: stage.perHour,
        perDay: stage.perDay,
        sentLastHour: this.sentAtMs.filter((at) => at > nowMs - 3_600_000).length,
        sentLastDay: this.sentAtMs.filter((at) => at > nowMs - DAY_MS).length,
      },
    };
  }

  private stage(nowMs: number) {
    return newContactStage(this.o.policy!, this.o.accountAddedMs, nowMs);
  }
}
