import { TokenBucket, type PacingPolicy, type ReachoutDecision } from "@wa-gateway/core/outbox";
import type { Logger } from "../logging/logger";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import { SendError, type AccountSocket } from "../transport/transport";
import { retryWhile, withinMs } from "../retry";
import type { ServerClock } from "../serverClock";
import type { OutboxStore, PendingEntry } from "./outboxPort";
import type { ReachoutGate } from "./reachoutGate";
import { outgoingMedia, sendTimeoutFor, type OutgoingFiles } from "../media/outgoingFiles";

export interface AccountOutboxOptions {
  accountId: string;
  store: OutboxStore;
  socket: AccountSocket;
  logger: Logger;
  metrics: WorkerMetrics;
  pacing: PacingPolicy | null;
  /** The account's reach to new contacts: first messages wait for its budget and any timelock. */
  reachout: ReachoutGate | null;
  leaseSec: number;
  /** Past this, a send with no outcome counts as a failed attempt that may have gone out. */
  sendTimeoutMs: number;
  /** A send got no outcome within `sendTimeoutMs`: the socket is suspect (its owner replaces it). */
  onSendHung(): void;
  /** Firestore's clock: when a lease ends or a retry is due is judged on it. */
  clock: ServerClock;
  sweepMs: number;
  /** Entries one sweep reads, oldest first, so a thread's earlier message is never left out for a later one. */
  sweepPage: number;
  /** Where sent files are read, and the worker's budget of media bytes in flight (null: entries with files fail). */
  media: OutgoingFiles | null;
}

/** How soon a first message is looked at again while the day's earlier ones are still being read. */
const REACHOUT_UNKNOWN_WAIT_MS = 250;

/**
 * Delivers one connected account's outbox, one message at a time in creation order. New
 * entries arrive through the worker's listener (`offer`); a periodic sweep is the safety net (expired
 * leases of crashed workers, due retries, anything a listener missed). A message waits while
 * an earlier one of its thread is still pending, so each thread keeps its order. A first message
 * to a new contact also waits for the new-contact budget and any timelock, recorded on the entry
 * (`heldReason`, `nextAttemptAt`), while other threads go on.
 */
export class AccountOutbox {
  private readonly pending = new Map<string, PendingEntry>();
  private readonly bucket: TokenBucket | null;
  private sweepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** A claim not yet sent (waiting for pacing): released, not finished, at stop. */
  private claimedNotSent: { requestId: string; epoch: number } | undefined;

  constructor(private readonly o: AccountOutboxOptions) {
    this.bucket = o.pacing ? new TokenBucket(o.pacing, Date.now()) : null;
  }

  start(): void {
    this.running = true;
    this.sweepTimer = setInterval(() => void this.sweep(), this.o.sweepMs);
    void this.sweep();
    this.loopDone = this.loop();
  }

  /** A queued entry seen by the worker's listener (OutboxWatcher). */
  offer(entry: PendingEntry): void {
    if (!this.running) return;
    this.pending.set(entry.requestId, entry);
    this.poke();
  }

  /** Re-reads every non-final entry of the account: the listener's safety net. */
  async sweep(): Promise<void> {
    try {
      const { entries, full } = await this.o.store.pendingOf(this.o.accountId, this.o.sweepPage);
      const seen = new Set<string>();
      for (const entry of entries) {
        this.pending.set(entry.requestId, entry);
        seen.add(entry.requestId);
      }
      for (const id of this.pending.keys()) if (!seen.has(id) && !full) this.pending.delete(id);
      // A lock lifted while no socket was up (or under another holder) still holds what waited for it.
      if (this.o.reachout && !this.o.reachout.locked(this.o.clock.now())) this.lockLifted();
      this.poke();
    } catch (err) {
      this.o.logger.warn({ accountId: this.o.accountId, err: (err as Error).message }, "outbox_sweep_failed");
    }
  }

  private poke(): void {
    this.wake?.();
  }

  /** The next entry to work on now, or how long until one may be due. */
  private next(nowMs: number): { entry?: PendingEntry; waitMs: number } {
    const sorted = [...this.pending.values()].sort(
      (a, b) => a.createdAtMs - b.createdAtMs || a.requestId.localeCompare(b.requestId),
    );
    const blockedThreads = new Set<string>();
    let waitMs = this.o.sweepMs;
    for (const p of sorted) {
      if (blockedThreads.has(p.threadId)) continue;
      blockedThreads.add(p.threadId); // whatever happens to p, later ones of its thread wait for it
      const dueAt = p.status === "queued" ? p.nextAttemptAtMs : (p.leaseUntilMs ?? 0);
      if (dueAt > nowMs) {
        waitMs = Math.min(waitMs, dueAt - nowMs);
        continue;
      }
      const reach = p.firstContact && p.status === "queued" ? this.o.reachout?.decide(nowMs) : undefined;
      if (reach?.kind === "unknown") {
        waitMs = Math.min(waitMs, REACHOUT_UNKNOWN_WAIT_MS);
        continue;
      }
      if (reach?.kind === "hold") {
        this.hold(p, reach);
        waitMs = Math.min(waitMs, reach.untilMs - nowMs);
        continue;
      }
      return { entry: p, waitMs: 0 };
    }
    return { waitMs };
  }

  /** A first message waits: its thread keeps its place, and the entry says until when and why. */
  private hold(p: PendingEntry, hold: Extract<ReachoutDecision, { kind: "hold" }>): void {
    this.pending.set(p.requestId, { ...p, nextAttemptAtMs: hold.untilMs, heldReason: hold.reason });
    const { accountId, store, logger, metrics } = this.o;
    metrics.held(hold.reason);
    logger.info(
      { accountId, requestId: p.requestId, reason: hold.reason, until: new Date(hold.untilMs).toISOString() },
      "outbox_held",
    );
    void store
      .reschedule(p.requestId, hold.untilMs, hold.reason)
      .catch((err: Error) =>
        logger.warn({ accountId, requestId: p.requestId, err: err.message }, "outbox_hold_record_failed"),
      );
  }

  /** WhatsApp lifted the account's timelock (or it ended): what waited for it is due now. */
  lockLifted(): void {
    const nowMs = this.o.clock.now();
    for (const p of this.pending.values()) {
      if (p.heldReason !== "reachout_timelock" || p.status !== "queued") continue;
      this.pending.set(p.requestId, { ...p, nextAttemptAtMs: nowMs, heldReason: null });
      void this.o.store
        .reschedule(p.requestId, nowMs, null)
        .catch((err: Error) =>
          this.o.logger.warn({ requestId: p.requestId, err: err.message }, "outbox_hold_record_failed"),
        );
    }
    this.poke();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const { entry, waitMs } = this.next(this.o.clock.now());
      if (!entry) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(5, waitMs));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      try {
        await this.deliver(entry);
      } catch (err) {
        this.o.logger.error({ accountId: this.o.accountId, requestId: entry.requestId, err }, "outbox_deliver_error");
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async deliver(p: PendingEntry): Promise<void> {
    const { store, logger, metrics } = this.o;
    const claim = await store.claim(p.requestId, p.threadId);
    metrics.claimed(claim);
    if (claim.kind === "missing" || (claim.kind === "held" && claim.until === null)) {
      this.pending.delete(p.requestId);
      return;
    }
    if (claim.kind === "gave_up") {
      this.pending.delete(p.requestId);
      logger.error({ requestId: p.requestId, attempts: claim.attempts }, "outbox_gave_up");
      return;
    }
    if (claim.kind === "held") {
      // Leased elsewhere or not due yet: it keeps its place, so its thread's later messages wait for it.
      this.pending.set(
        p.requestId,
        claim.why === "leased"
          ? { ...p, status: "processing", leaseUntilMs: claim.until }
          : { ...p, status: "queued", nextAttemptAtMs: claim.until! },
      );
      return;
    }
    const entry = claim.entry;
    this.pending.set(p.requestId, {
      ...p,
      status: "processing",
      leaseUntilMs: this.o.clock.now() + this.o.leaseSec * 1000,
    });
    logger.debug({ requestId: entry.requestId, epoch: entry.epoch, attempt: entry.attempt }, "outbox_claimed");
    if (entry.firstContact) {
      this.o.reachout?.counted(this.o.clock.now());
      metrics.firstContactSent();
    }

    if (this.bucket) {
      this.claimedNotSent = { requestId: entry.requestId, epoch: entry.epoch };
      const waitMs = this.bucket.take(Date.now());
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      this.claimedNotSent = undefined;
      if (!this.running) {
        await store.release(entry.requestId, entry.epoch);
        return;
      }
    }

    // Keep the lease while a slow send, and the record of its outcome, are in flight.
    let leaseUntilMs = Date.now() + this.o.leaseSec * 1000;
    const renewal = setInterval(
      () => {
        const asked = Date.now();
        void store.renew(entry.requestId, entry.epoch).then(
          (r) => {
            if (r === "written") leaseUntilMs = asked + this.o.leaseSec * 1000;
            else logger.warn({ requestId: entry.requestId, result: r }, "outbox_lease_renewal_lost");
          },
          (err: Error) => logger.warn({ requestId: entry.requestId, err: err.message }, "outbox_lease_renewal_failed"),
        );
      },
      (this.o.leaseSec * 1000) / 3,
    );
    const started = Date.now();
    let failure: SendError | undefined;
    try {
      metrics.sendCalled();
      const { toJid, text, providerMessageId, template, media } = entry;
      const send = () =>
        this.o.socket.send(toJid, text, providerMessageId, {
          ...(template ? { template } : {}),
          ...(media ? { media: outgoingMedia(media, this.o.media) } : {}),
        });
      if (media && this.o.media) {
        // A file waits for room in the byte budget before its time starts, then has longer to go
        // out; its bytes stay counted until Baileys is done with them, even past the timeout.
        const release = await this.o.media.budget.reserve(media.size);
        const sending = send();
        void sending.then(release, release);
        await sendWithin(sending, sendTimeoutFor(this.o.sendTimeoutMs, media));
      } else await sendWithin(send(), this.o.sendTimeoutMs);
    } catch (err) {
      failure = err instanceof SendError ? err : new SendError((err as Error).message, false);
    }

    if (!failure) {
      // The message went out: recording that is retried while the lease holds, so one failed
      // write does not make it go out again. Past the lease, it is re-sent under the same id.
      const result = await retryWhile(
        () => store.finish(entry.requestId, entry.epoch, entry.threadId),
        () => Date.now() < leaseUntilMs - 1000,
        (err, attempt) => logger.warn({ requestId: entry.requestId, attempt, err: err.message }, "outbox_finish_retry"),
      ).finally(() => clearInterval(renewal));
      this.pending.delete(entry.requestId);
      metrics.sendFinished(result, Date.now() - started);
      logger.info(
        { requestId: entry.requestId, accountId: entry.accountId, attempt: entry.attempt, result },
        "outbox_sent",
      );
      return;
    }
    clearInterval(renewal);
    if (failure instanceof SendTimedOut) this.o.onSendHung();
    const result = await store.fail(entry.requestId, entry.epoch, entry.threadId, {
      permanent: failure.permanent,
      throttled: failure.throttled,
      message: failure.message,
    });
    logger.warn(
      {
        requestId: entry.requestId,
        accountId: entry.accountId,
        attempt: entry.attempt,
        permanent: failure.permanent,
        throttled: failure.throttled,
        result,
        err: failure.message,
      },
      "outbox_send_failed",
    );
    if (result === "failed" || result === "retrying") metrics.sendFailed(result === "failed");
    if (result === "failed") {
      this.pending.delete(entry.requestId);
    } else {
      void this.sweep(); // learn the new nextAttemptAt; the entry keeps its thread's place meanwhile
    }
  }

  /** Stops claiming; waits for the send in flight; hands back a claim that was not sent. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.sweepTimer);
    this.poke();
    const unsent = this.claimedNotSent;
    await this.loopDone;
    if (unsent) await this.o.store.release(unsent.requestId, unsent.epoch).catch(() => undefined);
  }
}

/** A send with no outcome in time: maybe sent, retried under the same id. */
class SendTimedOut extends SendError {
  constructor(ms: number) {
    super(`no outcome within ${ms} ms; it may have gone out and is retried under the same id`, false);
  }
}

/**
 * A send bounded in time: one hung socket must not hold a thread (or its lease) for ever. Past the
 * bound the send counts as failed, not as "not sent": it is retried under the same id.
 */
const sendWithin = (send: Promise<void>, ms: number) => withinMs(send, ms, () => new SendTimedOut(ms));
