import { holdsLease, leaseState } from "@wa-gateway/core";
import { DORMANT_STATUSES, wantsSocket } from "@wa-gateway/core/accounts";
import { InboundBackpressure, type InboundBackpressureOptions } from "../inbound/inboundBackpressure";
import type { Logger } from "../logging/logger";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import { OutboxWatcher } from "../outbox/outboxWatcher";
import type { ServerClock } from "../serverClock";
import type { Transport } from "../transport/transport";
import type { AccountLeaseStore, AccountView } from "./accountLeaseStore";
import type { FleetStore } from "./fleetStore";
import { FleetPresence, type Shares } from "./fleetPresence";
import { dormantAccountsOf, type DormantAccounts } from "./dormantAccounts";
import type { DeliverySettings } from "../outbox/accountDelivery";
import { SessionCalls } from "./sessionCalls";
import { HeldAccount, type HeldAccountContext, type HeldAccountState } from "./heldAccount";

/** How long a shutdown waits for the inbound queue to be stored before it closes the sockets. */
const DRAIN_BEFORE_CLOSE_MS = 3_000;
/** Claims in flight at once: a worker filling up (a start, a takeover) must not make its renewals wait for one claim after another. */
const CLAIMS_AT_ONCE = 8;

export interface AccountManagerOptions {
  workerId: string;
  transport: Transport;
  /** Firestore's clock: whose lease is live is judged on it, never on this machine's. */
  clock: ServerClock;
  logger: Logger;
  metrics: WorkerMetrics;
  /** The account lease: how many this worker holds at most, and for how long a claim lasts. */
  leases: { store: AccountLeaseStore; maxAccounts: number; leaseSec: number };
  /** The running workers, among whom the accounts are shared evenly. */
  fleet: FleetStore;
  /** Each held account's socket. */
  reconnect: HeldAccountContext["reconnect"];
  /** Each connected account's delivery loop. */
  delivery: DeliverySettings;
  /** Received messages on their way to Firestore. */
  inbound: Pick<InboundBackpressureOptions, "store" | "capacity" | "stuckAfterMs">;
  /** Where stanzas nothing handles are reported for the watchdog. */
  unhandledStanzas?: HeldAccountContext["unhandledStanzas"];
  files?: Pick<HeldAccountContext, "media" | "sentMedia">;
  /** Finishes removed and logged-out accounts (session, backlog), every `sweepMs`. */
  dormant: { accounts: DormantAccounts; sweepMs: number };
}

/**
 * Keeps one live socket per account across all workers: claims free account leases up to its
 * share (the accounts that want a socket divided among the live workers, at most `maxAccounts`),
 * renews them, hands each to a HeldAccount, lets go at once when a lease is lost, hands accounts
 * over when a worker joins and its share shrinks, tends dormant accounts and shuts down. Account
 * and worker documents arrive through listeners; a renewal tick also re-checks.
 */
export class AccountManager {
  private readonly held = new Map<string, HeldAccount>();
  private readonly seen = new Map<string, AccountView>();
  private unsubscribe: (() => void) | undefined;
  /** The accounts listener has answered once: Firestore is reachable, so this worker may announce itself. */
  private accountsHeard = false;
  private readonly fleet: FleetPresence;
  private tick: NodeJS.Timeout | undefined;
  private dormantTick: NodeJS.Timeout | undefined;
  private tending: Promise<void> | undefined;
  private stopping = false;
  private reconciling: Promise<void> = Promise.resolve();
  /** The reconciliation waiting behind the running one, if any: later requests join it. */
  private queued: { renew: boolean } | undefined;
  private readonly watcher: OutboxWatcher;
  private readonly inbound: InboundBackpressure;
  private readonly context: HeldAccountContext;
  private readonly sessionCalls = new SessionCalls();
  private heard!: () => void;
  private readonly firstSnapshot = new Promise<void>((resolve) => (this.heard = resolve));

  constructor(private readonly o: AccountManagerOptions) {
    this.watcher = new OutboxWatcher(o.delivery.store, o.logger, (entry) =>
      this.held.get(entry.accountId)?.offer(entry),
    );
    this.inbound = new InboundBackpressure({
      ...o.inbound,
      logger: o.logger,
      accounts: o.leases.store,
      epochOf: (accountId) => this.held.get(accountId)?.epoch,
      pause: () => this.pauseSockets(),
      resume: () => this.resumeSockets(),
    });
    this.fleet = new FleetPresence({
      workerId: o.workerId,
      maxAccounts: o.leases.maxAccounts,
      fleet: o.fleet,
      clock: o.clock,
      logger: o.logger,
      held: () => this.held.size,
      changed: () => this.schedule(),
    });
    const { store } = o.leases;
    this.context = {
      transport: o.transport,
      clock: o.clock,
      accounts: { ...store, session: (id, epoch) => this.sessionCalls.wrap(store.session(id, epoch), id) },
      logger: o.logger,
      metrics: o.metrics,
      reconnect: o.reconnect,
      delivery: o.delivery,
      watcher: this.watcher,
      inbound: this.inbound,
      ...(o.unhandledStanzas ? { unhandledStanzas: o.unhandledStanzas } : {}),
      ...o.files,
      paused: () => this.inbound.paused,
      stopping: () => this.stopping,
      ended: (account) => {
        if (this.held.get(account.accountId) === account) this.held.delete(account.accountId);
      },
    };
  }

  /** Stops receiving while the inbound queue is full: WhatsApp keeps what it has not delivered. */
  private pauseSockets(): void {
    for (const account of this.held.values()) {
      void account
        .closeSocket()
        .catch((err: Error) =>
          this.o.logger.warn({ accountId: account.accountId, err: err.message }, "account_pause_failed"),
        );
    }
  }

  private resumeSockets(): void {
    if (this.stopping) return;
    for (const account of this.held.values()) if (!account.hasSocket) account.connect();
  }

  /**
   * Resolves once the accounts listener has delivered its first snapshot. The Firestore emulator
   * can miss a write made while a listener is being attached; tests wait for this before writing.
   */
  listening(): Promise<void> {
    return this.firstSnapshot;
  }

  start(): void {
    this.unsubscribe = this.o.leases.store.watch(
      (changes) => {
        this.heard();
        // Firestore answers: now announce (a write to an unreachable one would hold the shutdown).
        if (!this.accountsHeard) {
          this.accountsHeard = true;
          this.fleet.announce();
        }
        for (const { accountId, view } of changes) {
          if (view) this.seen.set(accountId, view);
          else this.seen.delete(accountId);
        }
        this.schedule();
      },
      (err) => this.o.logger.error({ err }, "accounts_listener_failed"),
    );
    this.fleet.watch();
    this.tick = setInterval(() => this.schedule(true), this.leaseMs / 3);
    this.dormantTick = setInterval(() => this.tendDormant(), this.o.dormant.sweepMs);
  }

  /** One pass at a time, off the reconcile chain so that a long backlog never delays a renewal. */
  private tendDormant(): void {
    if (this.tending || this.stopping) return;
    this.tending = this.o.dormant.accounts
      .tend(dormantAccountsOf(this.seen, (id) => this.held.has(id), this.o.workerId, this.o.clock.now()))
      .finally(() => (this.tending = undefined));
  }

  /**
   * Reconciliations run one after another, never overlapping, and at most one waits: a burst of
   * account changes (a fleet handing accounts around) would otherwise queue one pass per change,
   * and the renewal tick's pass behind them all, until the leases ran out.
   */
  private schedule(renew = false): void {
    if (this.queued) {
      this.queued.renew ||= renew;
      return;
    }
    const next = { renew };
    this.queued = next;
    this.reconciling = this.reconciling
      .then(() => {
        this.queued = undefined;
        return this.reconcile(next.renew);
      })
      .catch((err: Error) => this.o.logger.error({ err }, "accounts_reconcile_failed"));
  }

  private get leaseMs(): number {
    return this.o.leases.leaseSec * 1000;
  }

  private async reconcile(renew: boolean): Promise<void> {
    if (this.stopping) return;
    // All at once: in a row, a slow Firestore would add each renewal's wait to the next one's
    // until the last lease ran out. One account's failure must not skip the others.
    await Promise.all(
      [...this.held.values()].map((account) =>
        this.reconcileHeld(account, renew).catch((err: Error) =>
          this.o.logger.error({ accountId: account.accountId, err }, "account_reconcile_failed"),
        ),
      ),
    );
    if (renew && this.accountsHeard) this.fleet.announce();
    if (this.fleet.known) {
      if ((await this.claimUpToShare()) === "more") this.schedule();
      this.handOverExcess();
    }
    this.fleet.announceIfChanged();
  }

  /**
   * Claims free accounts, CLAIMS_AT_ONCE at a time, until this worker holds its share; one lost to
   * another worker (or only free in a view that is behind) is left to a later pass. "more" when it
   * stopped for a waiting renewal pass: a worker filling up (200 at a takeover) lets the renewals in
   * between its batches instead of holding them until the last claim.
   */
  private async claimUpToShare(): Promise<"more" | "done"> {
    const nowMs = this.o.clock.now();
    const free = [...this.seen].filter(
      ([accountId, seen]) =>
        !this.held.has(accountId) &&
        wantsSocket(seen.status) &&
        leaseState(seen.owner, this.o.workerId, nowMs) !== "theirs",
    );
    while (free.length) {
      const room = Math.min(this.shares().mine - this.held.size, CLAIMS_AT_ONCE);
      if (room <= 0 || this.stopping || this.inbound.paused) return "done";
      if (this.queued?.renew) return "more";
      await Promise.all(
        free
          .splice(0, room)
          .map(([accountId, seen]) =>
            this.claim(accountId, seen).catch((err: Error) =>
              this.o.logger.error({ accountId, err }, "account_claim_failed"),
            ),
          ),
      );
    }
    return "done";
  }

  /** Each live worker's share (this one too) of the accounts that want a socket. */
  private shares(): Shares {
    return this.fleet.shares([...this.seen.values()].filter((seen) => wantsSocket(seen.status)).length);
  }

  /** Over its share (a worker joined, or accounts went away): the excess goes to the others. */
  private handOverExcess(): void {
    if (this.stopping) return;
    this.fleet.handOverExcess(this.shares(), [...this.held.values()], (id) => this.seen.get(id)?.movedAtMs ?? 0);
  }

  private async reconcileHeld(account: HeldAccount, renew: boolean): Promise<void> {
    if (account.stoppingForPerson) return;
    const seen = this.seen.get(account.accountId);
    if (!seen) return account.drop("account_deleted");
    const { owner } = seen;
    if (owner && !holdsLease(owner, this.o.workerId, account.epoch) && owner.untilMs > this.o.clock.now()) {
      return account.drop("lease_taken");
    }
    if (Date.now() >= this.leaseDeadlineMs(account)) return account.drop("lease_not_renewed");
    if (DORMANT_STATUSES.has(seen.status)) return account.retire(seen.status);
    await account.restartLogin(seen.qrRequestedAtMs);
    if (renew) await this.renew(account);
  }

  /** Local time when each held lease runs out unless renewed (a duration from the last renewal: skew-free). */
  private readonly deadlines = new WeakMap<HeldAccount, number>();

  private leaseDeadlineMs(account: HeldAccount): number {
    return this.deadlines.get(account) ?? 0;
  }

  private async renew(account: HeldAccount): Promise<void> {
    const asked = Date.now();
    const result = await this.o.leases.store.renew(account.accountId, account.epoch).catch((err: Error) => {
      this.o.logger.warn({ accountId: account.accountId, err: err.message }, "account_lease_renewal_failed");
      return "failed" as const;
    });
    if (result === "written") this.deadlines.set(account, asked + this.leaseMs);
    else if (result !== "failed") return account.drop(`renewal_${result}`);
    // Let go before the lease can run out under a live socket: past it, another worker may claim it.
    else if (this.leaseDeadlineMs(account) - Date.now() <= this.leaseMs / 3) return account.drop("lease_not_renewed");
  }

  private async claim(accountId: string, seen: AccountView): Promise<void> {
    const asked = Date.now();
    const claim = await this.o.leases.store.claim(accountId);
    if (claim.kind !== "claimed") return;
    // Claimed while the shutdown began (a batch was in flight): give it back unconnected, for the
    // next worker at once; a socket started now would read its session after Firestore closed.
    if (this.stopping) {
      await this.o.leases.store.release(accountId, claim.epoch).catch(() => undefined);
      return;
    }
    this.o.metrics.accountClaimed(claim.takeover);
    const account = new HeldAccount(this.context, accountId, claim.epoch, seen);
    this.deadlines.set(account, asked + this.leaseMs);
    this.held.set(accountId, account);
    this.o.logger.info({ accountId, epoch: claim.epoch }, "account_lease_claimed");
    account.connect();
  }

  /** Shutdown: stop claiming, finish in-flight sends, close sockets without logging out, release leases. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.fleet.stop();
    this.watcher.stop();
    clearInterval(this.tick);
    clearInterval(this.dormantTick);
    await this.reconciling;
    await this.fleet.handOversDone();
    await this.tending;
    // Store what was received while the sockets are still open: each message's receipt waits for
    // its commit, and one stored after its socket closed is never receipted (WhatsApp would deliver
    // it again at the next login, on Signal keys already used). Bounded: contacts keep writing.
    await this.inbound.drainWithin(DRAIN_BEFORE_CLOSE_MS);
    await Promise.all([...this.held.values()].map((account) => account.shutdown()));
    this.held.clear();
    // Firestore closes after the accounts: no session call may still run, nor start.
    await this.sessionCalls.close();
    await this.fleet.leave();
    // No socket is left to receive: store the rest, as far as the shutdown allows.
    await this.inbound.drain();
  }

  /** Per-account connection state for /metrics-json. */
  accountStates(): HeldAccountState[] {
    const nowMs = this.o.clock.now();
    return [...this.held.values()].map((account) => account.snapshot(nowMs));
  }

  /** Held accounts WhatsApp has under a reach-out timelock now. */
  reachoutLockedCount(): number {
    return this.accountStates().filter((state) => state.reachout.lock !== null).length;
  }

  /** Inbound messages received and not yet stored. */
  inboundBacklog(): number {
    return this.inbound.size();
  }

  connectedCount(): number {
    return [...this.held.values()].filter((account) => account.isOpen).length;
  }
}
