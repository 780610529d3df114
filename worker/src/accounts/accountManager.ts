import {
  holdsLease,
  leaseState,
  afterClose,
  closesWithinHour,
  DisconnectCode,
  DORMANT_STATUSES,
  statusAfterClose,
  wantsSocket,
  type AccountStatus,
  type PacingPolicy,
  type LeaseWrite,
  type ReconnectPolicy,
} from "@wa-gateway/core";
import { InboundQueue } from "../inbound/inboundQueue";
import type { InboundStore } from "../inbound/inboundStore";
import type { Logger } from "../logging/logger";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import { AccountOutbox } from "../outbox/accountOutbox";
import type { OutboxStore } from "../outbox/outboxStore";
import { OutboxWatcher } from "../outbox/outboxWatcher";
import type { AccountSocket, SessionStore, ConnectionUpdate, Transport } from "../transport/transport";
import { retryWhile } from "../retry";
import type { ServerClock } from "../serverClock";
import type { AccountStore, AccountView } from "./accountStore";
import type { DormantAccount, DormantAccounts } from "./dormantAccounts";

/** How old a send may be and still be re-encrypted for a contact's phone that asks for it again. */
const RESEND_WINDOW_MS = 24 * 3_600_000;

/** Attempts at recording a disconnect before the worker moves on without the record. */
const DISCONNECT_RECORD_ATTEMPTS = 4;

/** An account this worker holds the lease for, and its one socket. */
interface Held {
  accountId: string;
  epoch: number;
  socket: AccountSocket | undefined;
  state: "connecting" | "qr" | "open" | "closed";
  outbox: AccountOutbox | undefined;
  reconnectFailures: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  /** When the account's sockets closed in the last hour (Firestore's clock), seeded from its document. */
  closesMs: number[];
  /** Under this claim: reconnects made, the last close code, and the cool-down's end if one runs. */
  reconnects: number;
  lastCloseCode: number | undefined;
  cooldownUntilMs: number | null;
  qrRequestedAtMs: number;
  phoneNumber: string | null;
  /** The socket's connection events, handled one after another: a close never overtakes an open. */
  events: Promise<void>;
  /** Set while the account is being stopped (logged out, needs a QR): reconcile leaves it alone. */
  stopping: boolean;
  /** Local time when the lease runs out unless renewed (a duration from the last renewal: skew-free). */
  leaseDeadlineMs: number;
  /** The session, fenced by this epoch; one per claim, so a 515's creds commit outlives its socket. */
  session: SessionStore;
}

export interface AccountManagerOptions {
  workerId: string;
  transport: Transport;
  /** Firestore's clock: whose lease is live is judged on it, never on this machine's. */
  clock: ServerClock;
  accounts: AccountStore;
  outbox: OutboxStore;
  /** Finishes removed and logged-out accounts (session, backlog), every `dormantSweepMs`. */
  dormant: DormantAccounts;
  dormantSweepMs: number;
  inbound: InboundStore;
  /** Inbound messages held before the sockets are paused (backpressure). */
  inboundCapacity: number;
  /** Failing that long, inbound storage is marked stuck on the account (an incident). */
  inboundStuckAfterMs: number;
  logger: Logger;
  metrics: WorkerMetrics;
  maxAccounts: number;
  accountLeaseSec: number;
  outboxLeaseSec: number;
  sendTimeoutMs: number;
  reconnect: ReconnectPolicy;
  sweepMs: number;
  sweepPage: number;
  /** Off: the sweep alone finds work (see README: the emulator and big outboxes). */
  listener: boolean;
  pacing: PacingPolicy | null;
}

/**
 * Keeps one live socket per account across all workers: claims free account leases (up to
 * `maxAccounts`), renews them, connects and reconnects the sockets, and lets go at once when a
 * lease is lost. Account documents arrive through a listener; a renewal tick also re-checks.
 */
export class AccountManager {
  private readonly held = new Map<string, Held>();
  private readonly seen = new Map<string, AccountView>();
  private unsubscribe: (() => void) | undefined;
  private tick: NodeJS.Timeout | undefined;
  private dormantTick: NodeJS.Timeout | undefined;
  private tending: Promise<void> | undefined;
  private stopping = false;
  private reconciling: Promise<void> = Promise.resolve();
  private readonly watcher: OutboxWatcher;
  private readonly inbound: InboundQueue;
  /** Inbound backpressure: sockets closed (leases kept) until the inbound queue drains. */
  private paused = false;
  private heard!: () => void;
  private readonly firstSnapshot = new Promise<void>((resolve) => (this.heard = resolve));

  constructor(private readonly o: AccountManagerOptions) {
    this.watcher = new OutboxWatcher(o.outbox, o.logger, (entry) =>
      this.held.get(entry.accountId)?.outbox?.offer(entry),
    );
    this.inbound = new InboundQueue({
      store: (accountId, message) => o.inbound.store(accountId, message),
      logger: o.logger,
      capacity: o.inboundCapacity,
      concurrency: 8,
      stuckAfterMs: o.inboundStuckAfterMs,
      onSaturated: () => this.pauseSockets(),
      onDrained: () => this.resumeSockets(),
      onStuck: (accountIds, sinceMs) => this.markInboundStuck(accountIds, sinceMs),
      onUnstuck: () => this.markInboundStuck([...this.inboundStuckAccounts], null),
    });
  }

  /** Stops receiving while the inbound queue is full: WhatsApp keeps what it has not delivered. */
  private pauseSockets(): void {
    this.paused = true;
    for (const held of this.held.values()) {
      clearTimeout(held.reconnectTimer);
      const { socket, outbox } = held;
      held.socket = undefined; // its events are ignored from here
      held.outbox = undefined;
      held.state = "closed";
      this.watcher.remove(held.accountId);
      void Promise.all([outbox?.stop(), socket?.close()]).catch((err: Error) =>
        this.o.logger.warn({ accountId: held.accountId, err: err.message }, "account_pause_failed"),
      );
    }
  }

  /** Accounts marked `inboundStuckSince` by this worker (the watchdog's inbound_backlog incident). */
  private readonly inboundStuckAccounts = new Set<string>();

  /** Marks (a time) or clears (null) `inboundStuckSince` on the held accounts named; best effort. */
  private markInboundStuck(accountIds: string[], sinceMs: number | null): void {
    for (const accountId of accountIds) {
      const held = this.held.get(accountId);
      if (sinceMs === null) this.inboundStuckAccounts.delete(accountId);
      if (!held) continue;
      if (sinceMs !== null) this.inboundStuckAccounts.add(accountId);
      void this.o.accounts
        .markInboundStuck(accountId, held.epoch, sinceMs)
        .catch((err: Error) => this.o.logger.warn({ accountId, err: err.message }, "inbound_stuck_mark_failed"));
    }
  }

  private resumeSockets(): void {
    this.paused = false;
    if (this.stopping) return;
    for (const held of this.held.values()) if (!held.socket) this.connect(held);
  }

  /**
   * Resolves once the accounts listener has delivered its first snapshot. The Firestore emulator
   * can miss a write made while a listener is being attached; tests wait for this before writing.
   */
  listening(): Promise<void> {
    return this.firstSnapshot;
  }

  start(): void {
    this.unsubscribe = this.o.accounts.watch(
      (changes) => {
        this.heard();
        for (const { accountId, view } of changes) {
          if (view) this.seen.set(accountId, view);
          else this.seen.delete(accountId);
        }
        this.schedule();
      },
      (err) => this.o.logger.error({ err }, "accounts_listener_failed"),
    );
    this.tick = setInterval(() => this.schedule(true), (this.o.accountLeaseSec * 1000) / 3);
    this.dormantTick = setInterval(() => this.tendDormant(), this.o.dormantSweepMs);
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
    this.tending = this.o.dormant.tend(this.dormantAccounts()).finally(() => (this.tending = undefined));
  }

  /** Reconciliations run one after another, never overlapping. */
  private schedule(renew = false): void {
    this.reconciling = this.reconciling
      .then(() => this.reconcile(renew))
      .catch((err: Error) => this.o.logger.error({ err }, "accounts_reconcile_failed"));
  }

  private get leaseMs(): number {
    return this.o.accountLeaseSec * 1000;
  }

  private async reconcile(renew: boolean): Promise<void> {
    if (this.stopping) return;
    // One account's failure (a Firestore error) must not skip the renewal of the others.
    for (const held of [...this.held.values()]) {
      await this.reconcileHeld(held, renew).catch((err: Error) =>
        this.o.logger.error({ accountId: held.accountId, err }, "account_reconcile_failed"),
      );
    }
    for (const [accountId, seen] of this.seen) {
      if (this.held.size >= this.o.maxAccounts || this.stopping || this.paused) break;
      if (this.held.has(accountId) || !wantsSocket(seen.status)) continue;
      if (leaseState(seen.owner, this.o.workerId, this.o.clock.now()) === "theirs") continue;
      await this.claim(accountId, seen).catch((err: Error) =>
        this.o.logger.error({ accountId, err }, "account_claim_failed"),
      );
    }
  }

  private async reconcileHeld(held: Held, renew: boolean): Promise<void> {
    if (held.stopping) return;
    const seen = this.seen.get(held.accountId);
    if (!seen) return this.drop(held, "account_deleted");
    if (seen.owner && !holdsLease(seen.owner, this.o.workerId, held.epoch) && seen.owner.untilMs > this.o.clock.now()) {
      return this.drop(held, "lease_taken");
    }
    if (Date.now() >= held.leaseDeadlineMs) return this.drop(held, "lease_not_renewed");
    if (seen.status === "removed") return this.retire(held, "removed");
    if (DORMANT_STATUSES.has(seen.status)) return this.retire(held, seen.status);
    if (seen.qrRequestedAtMs > held.qrRequestedAtMs && held.state !== "open") {
      // Regenerate-QR: start the login again with a fresh QR.
      held.qrRequestedAtMs = seen.qrRequestedAtMs;
      await held.socket?.close();
      this.connect(held);
    }
    if (!renew) return;
    const asked = Date.now();
    const result = await this.o.accounts.renew(held.accountId, held.epoch).catch((err: Error) => {
      this.o.logger.warn({ accountId: held.accountId, err: err.message }, "account_lease_renewal_failed");
      return "failed" as const;
    });
    if (result === "written") held.leaseDeadlineMs = asked + this.leaseMs;
    else if (result !== "failed") return this.drop(held, `renewal_${result}`);
    // Let go before the lease can run out under a live socket: past it, another worker may claim it.
    else if (held.leaseDeadlineMs - Date.now() <= this.leaseMs / 3) return this.drop(held, "lease_not_renewed");
  }

  private async claim(accountId: string, seen: AccountView): Promise<void> {
    const asked = Date.now();
    const claim = await this.o.accounts.claim(accountId);
    if (claim.kind !== "claimed") return;
    this.o.metrics.accountClaimed(claim.takeover);
    const held: Held = {
      accountId,
      epoch: claim.epoch,
      socket: undefined,
      state: "closed",
      outbox: undefined,
      reconnectFailures: 0,
      reconnectTimer: undefined,
      closesMs: seen.recentDisconnectsMs,
      reconnects: 0,
      lastCloseCode: undefined,
      cooldownUntilMs: null,
      qrRequestedAtMs: seen.qrRequestedAtMs,
      phoneNumber: seen.phoneNumber,
      events: Promise.resolve(),
      stopping: false,
      leaseDeadlineMs: asked + this.leaseMs,
      session: this.o.accounts.session(accountId, claim.epoch),
    };
    this.held.set(accountId, held);
    this.o.logger.info({ accountId, epoch: claim.epoch }, "account_lease_claimed");
    this.connect(held);
  }

  private connect(held: Held): void {
    const { accountId } = held;
    clearTimeout(held.reconnectTimer);
    if (this.paused) return; // resumeSockets connects it
    held.state = "connecting";
    let sawQr = false;
    const socket: AccountSocket = this.o.transport.connect(accountId, {
      phoneNumber: held.phoneNumber,
      session: held.session,
      sent: { textOf: (messageId) => this.o.outbox.sentText(accountId, messageId, RESEND_WINDOW_MS) },
      handlers: {
        connection: (update) => {
          // A socket we already replaced, or a worker that is stopping: it writes nothing more.
          if (held.socket !== socket || this.stopping) return;
          if (update.state === "qr" || update.state === "pairing_code") sawQr = true;
          const qrSeen = sawQr;
          held.events = held.events
            .then(() =>
              held.socket === socket && !this.stopping ? this.onConnection(held, socket, update, qrSeen) : undefined,
            )
            .catch((err: Error) => this.o.logger.error({ accountId, err }, "account_connection_handler_failed"));
        },
        // WhatsApp has been told it arrived: stored even while stopping (stop() drains the queue).
        message: (message) => this.inbound.push(accountId, message),
        receipt: (receipt) => {
          if (this.stopping) return;
          void this.o.inbound.receipt(accountId, receipt).then(
            (result) =>
              this.o.logger.debug(
                { accountId, messageId: receipt.messageId, status: receipt.status, result },
                "receipt",
              ),
            (err: Error) => this.o.logger.error({ accountId, err }, "receipt_failed"),
          );
        },
      },
    });
    held.socket = socket;
  }

  private async onConnection(
    held: Held,
    socket: AccountSocket,
    update: ConnectionUpdate,
    sawQr: boolean,
  ): Promise<void> {
    const { accountId, epoch } = held;
    const a = this.o.accounts;
    switch (update.state) {
      case "connecting":
        await a.setStatus(accountId, epoch, "connecting");
        return;
      case "qr":
      case "pairing_code": {
        // Either way the account waits for a person: show what the client needs, clear the other.
        held.state = "qr";
        await a.setStatus(accountId, epoch, "pending_qr", {
          qr: update.state === "qr" ? update.qr : null,
          pairingCode: update.state === "pairing_code" ? update.code : null,
          qrExpiresAt: update.expiresAt,
        });
        this.o.logger.info(
          { accountId, method: update.state, expiresAt: update.expiresAt.toISOString() },
          "account_qr_ready",
        );
        return;
      }
      case "open": {
        held.state = "open";
        held.reconnectFailures = 0;
        held.cooldownUntilMs = null;
        await a.setStatus(accountId, epoch, "connected", {
          qr: null,
          qrExpiresAt: null,
          pairingCode: null,
          reconnectCooldownUntil: null,
          waJid: update.meJid,
        });
        this.o.logger.info({ accountId, epoch }, "account_connected");
        // Dropped, retired, stopped or closed while the status was being written: no loop for a dead socket.
        if (this.stopping || this.held.get(accountId) !== held || held.socket !== socket || held.state !== "open")
          return;
        const outbox = new AccountOutbox({
          accountId,
          store: this.o.outbox,
          socket,
          logger: this.o.logger,
          metrics: this.o.metrics,
          pacing: this.o.pacing,
          leaseSec: this.o.outboxLeaseSec,
          sendTimeoutMs: this.o.sendTimeoutMs,
          onSendHung: () => this.replaceHungSocket(held, socket),
          clock: this.o.clock,
          sweepMs: this.o.sweepMs,
          sweepPage: this.o.sweepPage,
        });
        held.outbox = outbox;
        outbox.start();
        if (this.o.listener) this.watcher.add(accountId);
        return;
      }
      case "close": {
        held.state = "closed";
        const outbox = held.outbox;
        held.outbox = undefined;
        this.watcher.remove(accountId);
        await outbox?.stop();
        if (this.stopping || this.held.get(accountId) !== held) return;
        this.o.metrics.disconnected(update.code);
        const nowMs = this.o.clock.now();
        held.closesMs = [...held.closesMs, nowMs].filter((t) => t > nowMs - 3_600_000);
        held.lastCloseCode = update.code;
        const next = afterClose(
          {
            code: update.code,
            wasLinking: sawQr,
            closesInLastHour: closesWithinHour(held.closesMs, nowMs),
            failures: held.reconnectFailures + 1,
          },
          this.o.reconnect,
        );
        // 515 (restart required) is the normal reconnect after pairing, not something to act on.
        this.o.logger[update.code === DisconnectCode.restartRequired ? "info" : "warn"](
          { accountId, code: update.code, reason: update.reason, next: next.kind },
          "account_disconnected",
        );
        if (next.kind === "stop") return this.stopAccount(held, update.code, next.status, next.dropSession);
        held.cooldownUntilMs = next.kind === "reconnect_later" && next.cooldown ? nowMs + next.delayMs : null;
        if (held.cooldownUntilMs !== null) {
          this.o.logger.error(
            {
              accountId,
              closesInLastHour: held.closesMs.length,
              cooldownSec: Math.round(this.o.reconnect.cooldownMs / 1000),
            },
            "account_reconnect_cooldown",
          );
        }
        const recorded = await this.recordDisconnect(held, {
          code: update.code,
          status: statusAfterClose(next),
          cooldownUntilMs: held.cooldownUntilMs,
        });
        // The lease is gone (440 after a takeover, or any close a newer holder outran): let go.
        if (recorded === "fenced" || recorded === "missing") return this.drop(held, `disconnect_record_${recorded}`);
        held.reconnects++;
        if (next.kind === "reconnect_now") {
          // 515 after pairing: the new creds must be stored before the next socket reads them.
          await held.session.flushed();
          if (this.held.get(accountId) === held) this.connect(held);
        } else {
          held.reconnectFailures++;
          held.reconnectTimer = setTimeout(() => this.held.get(accountId) === held && this.connect(held), next.delayMs);
        }
        return;
      }
    }
  }

  /**
   * A send on this socket got no answer in time: the socket may be hung (Baileys holds later sends
   * behind the stuck one), so it is closed and a new one connects; the session is kept. Queued
   * after the socket's own events, and only once per socket.
   */
  private replaceHungSocket(held: Held, socket: AccountSocket): void {
    held.events = held.events
      .then(async () => {
        if (held.socket !== socket || held.stopping || this.stopping || this.held.get(held.accountId) !== held) return;
        this.o.logger.warn({ accountId: held.accountId }, "account_socket_replaced_after_hung_send");
        const { outbox } = held;
        held.socket = undefined; // its events are ignored from here
        held.outbox = undefined;
        held.state = "closed";
        this.watcher.remove(held.accountId);
        await Promise.all([outbox?.stop(), socket.close()]);
        if (this.held.get(held.accountId) === held && !this.stopping && !held.socket) this.connect(held);
      })
      .catch((err: Error) => this.o.logger.error({ accountId: held.accountId, err }, "account_socket_replace_failed"));
  }

  /**
   * Records the close on the account document (and gives the lease back with it, when asked),
   * retried a few times. It never stands in the way of a reconnect: an account that cannot
   * record its disconnect still comes back.
   */
  private async recordDisconnect(
    held: Held,
    close: Parameters<AccountStore["recordDisconnect"]>[2],
  ): Promise<LeaseWrite | "unrecorded"> {
    const { accountId, epoch } = held;
    const { code } = close;
    try {
      return await retryWhile(
        () => this.o.accounts.recordDisconnect(accountId, epoch, close),
        (attempt) => attempt < DISCONNECT_RECORD_ATTEMPTS && this.held.get(accountId) === held,
        (err, attempt) =>
          this.o.logger.warn({ accountId, attempt, err: err.message }, "account_disconnect_record_retry"),
      );
    } catch (err) {
      this.o.logger.error({ accountId, code, err }, "account_disconnect_unrecorded");
      return "unrecorded";
    }
  }

  /**
   * The account needs a person (logged out, new QR): the session is deleted first if it is
   * worthless, then the status and the lease's release are one write. If any of that fails, the
   * lease is left to run out instead: the next holder meets the same close and does it again.
   */
  private async stopAccount(
    held: Held,
    code: number | undefined,
    status: AccountStatus,
    dropSession: boolean,
  ): Promise<void> {
    const { accountId } = held;
    held.stopping = true;
    try {
      if (dropSession) {
        const cleared = await held.session.clear();
        if (cleared !== "written") return await this.drop(held, `session_clear_${cleared}`);
      }
      const recorded = await this.recordDisconnect(held, { code, status, release: true });
      if (recorded !== "written") return await this.drop(held, `stop_${recorded}`);
      this.held.delete(accountId);
      this.o.logger.warn({ accountId, status }, "account_stopped");
    } catch (err) {
      this.o.logger.error({ accountId, status, err }, "account_stop_failed");
      await this.drop(held, "stop_failed");
    }
  }

  /**
   * Lets go of the account here: no more reconnects, no listener, and its socket's events are
   * ignored from now on. Answers the socket and delivery loop for the caller to end.
   */
  private detach(held: Held): { socket: AccountSocket | undefined; outbox: AccountOutbox | undefined } {
    this.held.delete(held.accountId);
    this.watcher.remove(held.accountId);
    clearTimeout(held.reconnectTimer);
    const { socket, outbox } = held;
    held.socket = undefined;
    held.outbox = undefined;
    return { socket, outbox };
  }

  /** The lease is gone: close the socket at once, write nothing more for the account. */
  private async drop(held: Held, reason: string): Promise<void> {
    const { socket, outbox } = this.detach(held);
    await Promise.all([outbox?.stop(), socket?.close()]);
    this.o.logger.warn({ accountId: held.accountId, reason }, "account_lease_lost");
  }

  /** The account is removed or dormant: log out if removed, then give the lease back. */
  private async retire(held: Held, status: AccountStatus): Promise<void> {
    const { socket, outbox } = this.detach(held);
    await outbox?.stop();
    if (status === "removed") {
      await socket?.logout().catch(() => undefined);
      await held.session.clear();
    } else {
      await socket?.close();
    }
    await this.o.accounts.release(held.accountId, held.epoch);
    this.o.logger.info({ accountId: held.accountId, status }, "account_retired");
  }

  /** Shutdown: stop claiming, finish in-flight sends, close sockets without logging out, release leases. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.watcher.stop();
    clearInterval(this.tick);
    clearInterval(this.dormantTick);
    await this.reconciling;
    await this.tending;
    await Promise.all(
      [...this.held.values()].map(async (held) => {
        clearTimeout(held.reconnectTimer);
        await held.outbox?.stop();
        await held.socket?.close();
        await this.o.accounts.release(held.accountId, held.epoch, "disconnected").catch(() => undefined);
      }),
    );
    this.held.clear();
    // No socket is left to receive: store what was received, as far as the shutdown allows.
    await this.inbound.idle();
    this.inbound.stop();
  }

  /** Per-account connection state for /metrics-json. */
  accountStates(): {
    accountId: string;
    state: Held["state"];
    epoch: number;
    lastCloseCode: number | null;
    reconnects: number;
    closesInLastHour: number;
    cooldownUntil: string | null;
  }[] {
    const nowMs = this.o.clock.now();
    return [...this.held.values()].map((h) => ({
      accountId: h.accountId,
      state: h.state,
      epoch: h.epoch,
      lastCloseCode: h.lastCloseCode ?? null,
      reconnects: h.reconnects,
      closesInLastHour: closesWithinHour(h.closesMs, nowMs),
      cooldownUntil: h.cooldownUntilMs !== null ? new Date(h.cooldownUntilMs).toISOString() : null,
    }));
  }

  /** Inbound messages received and not yet stored. */
  inboundBacklog(): number {
    return this.inbound.size();
  }

  connectedCount(): number {
    return [...this.held.values()].filter((h) => h.state === "open").length;
  }
}
