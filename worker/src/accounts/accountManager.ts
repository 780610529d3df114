import { holdsLease, leaseState } from "@wa-gateway/core";
import { DORMANT_STATUSES, fleetShares, wantsSocket } from "@wa-gateway/core/accounts";
import { InboundBackpressure, type InboundBackpressureOptions } from "../inbound/inboundBackpressure";
import type { Logger } from "../logging/logger";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import { OutboxWatcher } from "../outbox/outboxWatcher";
import type { ServerClock } from "../serverClock";
import type { Transport } from "../transport/transport";
import type { AccountLeaseStore, AccountView } from "./accountLeaseStore";
import type { FleetMember, FleetStore } from "./fleetStore";
import type { DormantAccount, DormantAccounts } from "./dormantAccounts";
import type { DeliverySettings } from "../outbox/accountDelivery";
import { HeldAccount, type HeldAccountContext, type HeldAccountState } from "./heldAccount";

/** How long a shutdown waits for the inbound queue to be stored before it closes the sockets. */
const DRAIN_BEFORE_CLOSE_MS = 3_000;
/** Claims in flight at once: a worker filling up (a start, a takeover) must not make its renewals wait for one claim after another. */
const CLAIMS_AT_ONCE = 8;
/** How long a shutdown waits to leave the fleet. */
const LEAVE_WITHIN_MS = 1_000;
/** An account moves to another worker at most once in this long (a joining worker waits for the rest). */
export const MOVE_EVERY_MS = 10 * 60_000;

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
  private unsubscribeFleet: (() => void) | undefined;
  private announcing: Promise<void> | undefined;
  /** The accounts listener has answered once (Firestore is reachable); and this worker announced itself. */
  private accountsHeard = false;
  private announced = false;
  /** What the last announcement said this worker held; a change is announced after the pass. */
  private announcedHeld = -1;
  private announceAgain = false;
  /** The workers' documents; undefined until the first snapshot (no claim before: the share is unknown). */
  private members: FleetMember[] | undefined;
  private tick: NodeJS.Timeout | undefined;
  private dormantTick: NodeJS.Timeout | undefined;
  private tending: Promise<void> | undefined;
  private stopping = false;
  private reconciling: Promise<void> = Promise.resolve();
  /** Over its share with nothing it may move, or nobody with room (logged once, until that changes). */
  private overShare = false;
  /** Hand-overs under way (the shutdown waits for them: each releases its own lease). */
  private readonly handingOver = new Set<Promise<void>>();
  /** The reconciliation waiting behind the running one, if any: later requests join it. */
  private queued: { renew: boolean } | undefined;
  private readonly watcher: OutboxWatcher;
  private readonly inbound: InboundBackpressure;
  private readonly context: HeldAccountContext;
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
    this.context = {
      transport: o.transport,
      clock: o.clock,
      accounts: o.leases.store,
      logger: o.logger,
      metrics: o.metrics,
      reconnect: o.reconnect,
      delivery: o.delivery,
      watcher: this.watcher,
      inbound: this.inbound,
      ...(o.unhandledStanzas ? { unhandledStanzas: o.unhandledStanzas } : {}),
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
          this.announce();
        }
        for (const { accountId, view } of changes) {
          if (view) this.seen.set(accountId, view);
          else this.seen.delete(accountId);
        }
        this.schedule();
      },
      (err) => this.o.logger.error({ err }, "accounts_listener_failed"),
    );
    this.unsubscribeFleet = this.o.fleet.watch(
      (members) => {
        this.members = members;
        this.schedule();
      },
      (err) => this.o.logger.error({ err }, "fleet_listener_failed"),
    );
    this.tick = setInterval(() => this.schedule(true), this.leaseMs / 3);
    this.dormantTick = setInterval(() => this.tendDormant(), this.o.dormant.sweepMs);
  }

  /** Removed and logged-out accounts with something left to finish, for DormantAccounts. */
  private dormantAccounts(): DormantAccount[] {
    const out: DormantAccount[] = [];
    for (const [accountId, seen] of this.seen) {
      if (!DORMANT_STATUSES.has(seen.status) || this.held.has(accountId)) continue;
      const dormantSinceMs = seen.status === "removed" ? seen.removedAtMs : seen.lastDisconnectAtMs;
      const account: DormantAccount = {
        accountId,
        status: seen.status,
        dormantSinceMs,
        sessionLeft: seen.status === "removed" && seen.sessionClearedAtMs < seen.removedAtMs,
        backlogLeft: seen.backlogResolvedAtMs < dormantSinceMs,
        lease: leaseState(seen.owner, this.o.workerId, this.o.clock.now()),
      };
      if (account.sessionLeft || account.backlogLeft) out.push(account);
    }
    return out;
  }

  /** One pass at a time, off the reconcile chain so that a long backlog never delays a renewal. */
  private tendDormant(): void {
    if (this.tending || this.stopping) return;
    this.tending = this.o.dormant.accounts.tend(this.dormantAccounts()).finally(() => (this.tending = undefined));
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
    if (renew) this.announce();
    if (this.members) {
      if ((await this.claimUpToShare()) === "more") this.schedule();
      this.handOverExcess();
    }
    // The others size their hand-overs by what this one holds: say so when it changed.
    if (this.held.size !== this.announcedHeld) this.announce();
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
      const room = Math.min(this.share() - this.held.size, CLAIMS_AT_ONCE);
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

  /** Each live worker's share (this one too) of the accounts that want a socket, within each one's cap. */
  private shares(): { mine: number; others: { member: FleetMember; share: number }[] } {
    const nowMs = this.o.clock.now();
    const others = (this.members ?? []).filter((m) => m.untilMs > nowMs && m.workerId !== this.o.workerId);
    const wanted = [...this.seen.values()].filter((seen) => wantsSocket(seen.status)).length;
    const shares = fleetShares(wanted, [
      ...others,
      { workerId: this.o.workerId, maxAccounts: this.o.leases.maxAccounts },
    ]);
    return {
      mine: shares.get(this.o.workerId)!,
      others: others.map((member) => ({ member, share: shares.get(member.workerId)! })),
    };
  }

  private share(): number {
    return this.shares().mine;
  }

  /**
   * Over its share (a worker joined, or accounts went away): hands the excess to the others, those
   * that have not moved within MOVE_EVERY_MS, so an account is not bounced from worker to worker.
   * Off the pass: a hand-over waits for the account's in-flight send (up to SEND_TIMEOUT_MS), and
   * the other accounts' renewals must not wait with it. Each leaves `held` at once.
   */
  private handOverExcess(): void {
    const { mine, others } = this.shares();
    const excess = this.held.size - mine;
    if (excess <= 0 || this.stopping) {
      this.overShare = false;
      return;
    }
    // Never into no room: an account handed to workers that are full (by their last announcement)
    // would sit with no socket until one had room. Several workers joining at once see the fleet
    // at different moments; the one over its share waits for a seat to open.
    const room = others.reduce((sum, { member, share }) => sum + Math.max(0, share - member.held), 0);
    const nowMs = this.o.clock.now();
    const movable = [...this.held.values()]
      .filter(
        (account) =>
          !account.stoppingForPerson && nowMs - (this.seen.get(account.accountId)?.movedAtMs ?? 0) >= MOVE_EVERY_MS,
      )
      .sort((a, b) => a.accountId.localeCompare(b.accountId))
      .slice(0, Math.min(excess, room));
    if (movable.length === 0) {
      if (!this.overShare) this.o.logger.info({ held: this.held.size, share: mine, room }, "accounts_over_share");
      this.overShare = true;
      return;
    }
    this.overShare = false;
    this.o.logger.info({ held: this.held.size, share: mine, room, moving: movable.length }, "accounts_handing_over");
    const handing = Promise.all(movable.map((account) => account.handOver())).then(
      () => undefined,
      (err: Error) => this.o.logger.error({ err }, "accounts_hand_over_failed"),
    );
    this.handingOver.add(handing);
    void handing.finally(() => this.handingOver.delete(handing));
  }

  /**
   * This worker runs (the others count it in their share). Off the reconcile chain, one at a time:
   * a Firestore that does not answer must hold neither the renewals nor a shutdown.
   */
  private announce(): void {
    if (this.stopping || !this.accountsHeard) return;
    if (this.announcing) {
      this.announceAgain = true;
      return;
    }
    this.announced = true;
    const held = this.held.size;
    this.announcing = this.o.fleet
      .announce(held)
      .then(() => {
        this.announcedHeld = held;
      })
      .catch((err: Error) => this.o.logger.warn({ err: err.message }, "fleet_announce_failed"))
      .finally(() => {
        this.announcing = undefined;
        if (this.announceAgain) {
          this.announceAgain = false;
          this.announce();
        }
      });
  }

  /**
   * Gone from the fleet at once: the others' share grows and they take the accounts now. Bounded:
   * an unreachable Firestore must not hold the shutdown (the document then lapses with its lease).
   */
  private async leaveFleet(): Promise<void> {
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      // After an announcement still in flight, which would bring the document back after the delete.
      Promise.resolve(this.announcing)
        .then(() => this.o.fleet.leave())
        .catch((err: Error) => this.o.logger.warn({ err: err.message }, "fleet_leave_failed")),
      new Promise((resolve) => (bound = setTimeout(resolve, LEAVE_WITHIN_MS))),
    ]);
    clearTimeout(bound);
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
    this.unsubscribeFleet?.();
    this.watcher.stop();
    clearInterval(this.tick);
    clearInterval(this.dormantTick);
    await this.reconciling;
    await Promise.all(this.handingOver);
    await this.tending;
    // Store what was received while the sockets are still open: each message's receipt waits for
    // its commit, and one stored after its socket closed is never receipted (WhatsApp would deliver
    // it again at the next login, on Signal keys already used). Bounded: contacts keep writing.
    await this.inboundDrained(DRAIN_BEFORE_CLOSE_MS);
    await Promise.all([...this.held.values()].map((account) => account.shutdown()));
    this.held.clear();
    if (this.announced) await this.leaveFleet();
    // No socket is left to receive: store the rest, as far as the shutdown allows.
    await this.inbound.drain();
  }

  /** The inbound queue drained, or `boundMs` gone by. */
  private async inboundDrained(boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.inbound.drain(), new Promise((resolve) => (timer = setTimeout(resolve, boundMs)))]);
    clearTimeout(timer);
  }

  /** Per-account connection state for /metrics-json. */
  accountStates(): HeldAccountState[] {
    const nowMs = this.o.clock.now();
    return [...this.held.values()].map((account) => account.snapshot(nowMs));
  }

  /** Held accounts WhatsApp has under a reach-out timelock now. */
  reachoutLockedCount(): number {
    const nowMs = this.o.clock.now();
    return [...this.held.values()].filter((account) => account.snapshot(nowMs).reachout.lock !== null).length;
  }

  /** Inbound messages received and not yet stored. */
  inboundBacklog(): number {
    return this.inbound.size();
  }

  connectedCount(): number {
    return [...this.held.values()].filter((account) => account.isOpen).length;
  }
}
