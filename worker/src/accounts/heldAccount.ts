import { DisconnectCode, statusAfterClose } from "@wa-gateway/core/accounts";
import { type AccountStatus } from "@wa-gateway/core/documents";
import { CLIENT_VERSION_REJECTED_CODES } from "@wa-gateway/core/longrun";
import { AccountDelivery } from "../outbox/accountDelivery";
import type { PendingEntry } from "../outbox/outboxPort";
import type { ReachoutSnapshot } from "../outbox/reachoutGate";
import type { AccountSocket, ConnectionUpdate, SessionStore } from "../transport/transport";
import type { AccountView } from "./accountLeaseStore";
import type { HeldAccountContext } from "./heldAccountContext";
import { recordDisconnect, type DisconnectRecord } from "./disconnectRecord";
import { recordLogin } from "./loginStatus";
import { ReachoutRecord } from "./reachoutRecord";
import { ReconnectHistory } from "./reconnectHistory";

export type { HeldAccountContext };

/** How old a send may be and still be re-encrypted for a contact's phone that asks for it again. */
export const RESEND_WINDOW_MS = 24 * 3_600_000;

/** `connecting` until WhatsApp answers, `qr` while a person must link, `open` while it delivers. */
export type SocketState = "connecting" | "qr" | "open" | "closed";

/** What /metrics-json shows of a held account. */
export type HeldAccountState = { accountId: string; state: SocketState; epoch: number } & ReturnType<
  ReconnectHistory["snapshot"]
> & { reachout: ReachoutSnapshot };

/**
 * One account this worker holds the lease for, and its one socket: connects, follows the
 * socket's connection events (one after another, so a close never overtakes an open), decides
 * each close with core's `afterClose` (reconnect now, later, or stop for a person), replaces a
 * hung socket, and lets go. Once `ended`, it writes nothing more for the account.
 */
export class HeldAccount {
  private socket: AccountSocket | undefined;
  private state: SocketState = "closed";
  private readonly delivery: AccountDelivery;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private events: Promise<void> = Promise.resolve();
  private readonly history: ReconnectHistory;
  private ended = false;
  /** Set while the account is stopped for a person (logged out, needs a QR): the manager leaves it be. */
  stoppingForPerson = false;
  /** The last regenerate-QR request this socket has answered. */
  qrRequestedAtMs: number;
  private readonly reachout: ReachoutRecord;
  /** The session, fenced by this epoch; one per claim, so a 515's creds commit outlives its socket. */
  private readonly session: SessionStore;

  constructor(
    private readonly c: HeldAccountContext,
    readonly accountId: string,
    readonly epoch: number,
    seen: AccountView,
    /** How it logs in, as claimed: a pairing-code number, or a Cloud API number. */
    private readonly login = { phoneNumber: seen.phoneNumber, cloudApi: seen.cloudApi },
  ) {
    this.history = new ReconnectHistory(seen.recentDisconnectsMs, c.reconnect, seen.reconnectCooldownUntilMs);
    this.qrRequestedAtMs = seen.qrRequestedAtMs;
    this.session = c.accounts.session(accountId, epoch);
    const { logger, metrics, clock, watcher } = c;
    this.delivery = new AccountDelivery(
      accountId,
      { settings: c.delivery, logger, metrics, clock, watcher },
      { accountAddedMs: seen.createdAtMs, lock: seen.reachoutLock },
    );
    this.reachout = new ReachoutRecord(accountId, epoch, { accounts: c.accounts, delivery: this.delivery, logger });
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  get hasSocket(): boolean {
    return this.socket !== undefined;
  }

  /**
   * A live socket for this account; while paused, nothing (the manager connects on resume). While
   * a cool-down runs (this holder's, or one stored by an earlier holder), the connect waits for
   * its end: a claim, a resume after backpressure or a restart must not cut it short.
   */
  connect(): void {
    clearTimeout(this.reconnectTimer);
    if (this.c.paused() || this.ended) return;
    const waitMs = this.history.cooldownLeftMs(this.c.clock.now());
    if (waitMs > 0) {
      const untilMs = this.history.cooldownUntilMs!;
      // Said once per cool-down (the close that started it already logged account_reconnect_cooldown).
      if (this.history.cooldownUnreported(untilMs))
        this.c.logger.info(
          { accountId: this.accountId, cooldownUntil: new Date(untilMs).toISOString() },
          "account_cooldown_waits",
        );
      this.history.cooldownReportedFor(untilMs);
      this.reconnectTimer = setTimeout(() => this.connect(), waitMs);
      return;
    }
    this.state = "connecting";
    let sawQr = false;
    const { accountId } = this;
    const socket: AccountSocket = this.c.transport.connect(accountId, {
      ...this.login,
      session: this.session,
      sent: {
        messageOf: async (messageId) => {
          const sent = await this.c.delivery.store.sentMessage(accountId, messageId, RESEND_WINDOW_MS);
          if (!sent) return undefined;
          const { hasMedia, ...message } = sent;
          // Only a file's send has its whole message kept: a text's resend reads nothing more.
          const media = hasMedia ? await this.c.sentMedia?.read(accountId, messageId) : undefined;
          return media ? { ...message, media } : message;
        },
        rememberMedia: async (messageId, message) => this.c.sentMedia?.remember(accountId, messageId, message),
      },
      handlers: {
        connection: (update) => {
          // A socket we already replaced, or a worker that is stopping: it writes nothing more.
          if (!this.current(socket)) return;
          if (update.state === "qr" || update.state === "pairing_code") sawQr = true;
          const qrSeen = sawQr;
          this.enqueue(() => (this.current(socket) ? this.onConnection(socket, update, qrSeen) : undefined));
        },
        // Stored even while stopping (the manager drains the queue); the transport receipts it once committed.
        message: (message) => {
          const commit = this.c.inbound.push(accountId, message);
          // Its bytes are fetched once the message (and its download) is stored.
          if (message.media) void commit.then((c) => c === "committed" && this.c.media?.kick(accountId));
          return commit;
        },
        stored: (ref) => this.c.inbound.stored(accountId, ref),
        receipt: (receipt) =>
          this.c.stopping() ? Promise.resolve("stopping" as const) : this.c.inbound.receipt(accountId, receipt),
        reachout: (update) => {
          if (this.current(socket)) this.reachout.update(update);
        },
        // The next protocol change shows here first: counted per type, its first sighting logged with its shape.
        unhandled: (stanza) => {
          const { kind, type, shape } = stanza;
          if (this.c.metrics.unhandledStanza(kind, type))
            this.c.logger.warn({ accountId, kind, type, shape }, "whatsapp_stanza_unhandled");
          this.c.unhandledStanzas?.report(accountId, stanza);
        },
      },
    });
    this.socket = socket;
  }

  private current(socket: AccountSocket): boolean {
    return this.socket === socket && !this.c.stopping();
  }

  /** Connection events and socket replacements run one after another. */
  private enqueue(step: () => Promise<void> | undefined): void {
    this.events = this.events.then(step).catch(async (err: Error) => {
      this.c.logger.error({ accountId: this.accountId, err }, "account_connection_handler_failed");
      if (this.ended || this.c.stopping()) return;
      // A half-handled event (the socket open, its delivery never started) is a close: a new
      // socket follows as the reconnect policy decides (its backoff, hourly limit and cool-down).
      await this.closeSocket()
        .then(() => this.onClose({ state: "close", code: undefined, reason: `handler failed: ${err.message}` }, false))
        .catch((again: Error) =>
          this.c.logger.error({ accountId: this.accountId, err: again }, "account_close_failed"),
        );
    });
  }

  private async onConnection(socket: AccountSocket, update: ConnectionUpdate, sawQr: boolean): Promise<void> {
    if (update.state === "close") return this.onClose(update, sawQr);
    if (update.state === "qr" || update.state === "pairing_code") this.state = "qr";
    if (update.state === "open") {
      this.state = "open";
      this.history.opened();
    }
    await recordLogin(this.c.accounts, this.c.logger, this.accountId, this.epoch, update);
    // Dropped, retired, stopped or closed while the status was being written: no loop for a dead socket.
    if (update.state !== "open" || this.ended || !this.current(socket) || this.state !== "open") return;
    this.delivery.start(socket, () => this.replaceHungSocket(socket));
    this.c.media?.resume(this.accountId, socket);
  }

  /** A queued entry the worker's listener saw for this account. */
  offer(entry: PendingEntry): void {
    this.delivery.offer(entry);
  }

  private async onClose(update: Extract<ConnectionUpdate, { state: "close" }>, sawQr: boolean): Promise<void> {
    const { accountId } = this;
    this.state = "closed";
    this.c.media?.pause(accountId);
    await this.delivery.stop();
    if (this.c.stopping() || this.ended) return;
    this.c.metrics.disconnected(update.code);
    const nowMs = this.c.clock.now();
    const next = this.history.closed(update.code, sawQr, nowMs);
    const { code, reason } = update;
    // 515 (restart required) is the normal reconnect after pairing, not something to act on.
    const level = code === DisconnectCode.restartRequired ? "info" : "warn";
    this.c.logger[level]({ accountId, code, reason, next: next.kind }, "account_disconnected");
    // WhatsApp no longer accepts the version we announce: nothing connects until WA_VERSION is updated.
    if (CLIENT_VERSION_REJECTED_CODES.has(code ?? 0))
      this.c.logger.error({ accountId, code, action: "update WA_VERSION" }, "whatsapp_client_version_rejected");
    if (next.kind === "stop") return this.stopForPerson(code, next.status, next.dropSession);
    const { cooldownUntilMs } = this.history;
    if (cooldownUntilMs !== null) {
      const cooldownSec = Math.round(this.c.reconnect.cooldownMs / 1000);
      const closesInLastHour = this.history.closesInLastHour(nowMs);
      this.c.logger.error({ accountId, closesInLastHour, cooldownSec }, "account_reconnect_cooldown");
      this.history.cooldownReportedFor(cooldownUntilMs);
    }
    const recorded = await this.recordDisconnect({ code, status: statusAfterClose(next), cooldownUntilMs });
    // The lease is gone (440 after a takeover, or any close a newer holder outran): let go.
    if (recorded === "fenced" || recorded === "missing") return this.drop(`disconnect_record_${recorded}`);
    this.history.reconnecting(next);
    if (next.kind === "reconnect_now") {
      // 515 after pairing: the new creds must be stored before the next socket reads them.
      await this.session.flushed();
      this.connect();
    } else {
      this.reconnectTimer = setTimeout(() => this.connect(), next.delayMs);
    }
  }

  /**
   * A send on this socket got no answer in time: the socket may be hung (Baileys holds later sends
   * behind the stuck one), so it is closed and a new one connects; the session is kept. Queued
   * after the socket's own events, and only once per socket.
   */
  private replaceHungSocket(socket: AccountSocket): void {
    this.enqueue(async () => {
      if (!this.current(socket) || this.stoppingForPerson || this.ended) return;
      this.c.logger.warn({ accountId: this.accountId }, "account_socket_replaced_after_hung_send");
      await this.closeSocket();
      if (!this.ended && !this.c.stopping() && !this.socket) this.connect();
    });
  }

  /** Closes the socket, keeping the lease (backpressure, a hung socket); its events are ignored. */
  async closeSocket(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    const { socket } = this;
    this.socket = undefined;
    this.state = "closed";
    this.c.media?.pause(this.accountId);
    await Promise.all([this.delivery.stop(), socket?.close()]);
  }

  private recordDisconnect(close: DisconnectRecord): ReturnType<typeof recordDisconnect> {
    const { accountId, epoch, c } = this;
    return recordDisconnect({ ...c, accountId, epoch, close, stillHeld: () => !this.ended });
  }

  /**
   * The account needs a person (logged out, new QR): the session is deleted first if it is
   * worthless, then the status and the lease's release are one write. If any of that fails, the
   * lease is left to run out instead: the next holder meets the same close and does it again.
   */
  private async stopForPerson(code: number | undefined, status: AccountStatus, dropSession: boolean): Promise<void> {
    this.stoppingForPerson = true;
    try {
      if (dropSession) {
        const cleared = await this.session.clear();
        if (cleared !== "written") return await this.drop(`session_clear_${cleared}`);
      }
      const recorded = await this.recordDisconnect({ code, status, release: true });
      if (recorded !== "written") return await this.drop(`stop_${recorded}`);
      this.end();
      this.c.logger.warn({ accountId: this.accountId, status }, "account_stopped");
    } catch (err) {
      this.c.logger.error({ accountId: this.accountId, status, err }, "account_stop_failed");
      await this.drop("stop_failed");
    }
  }

  /** No more reconnects, no listener; the manager forgets it. */
  private end(): void {
    this.ended = true;
    clearTimeout(this.reconnectTimer);
    this.c.media?.pause(this.accountId);
    this.c.ended(this);
  }

  /** The lease is gone: close the socket at once, write nothing more for the account. */
  async drop(reason: string): Promise<void> {
    this.end();
    await this.closeSocket();
    this.c.logger.warn({ accountId: this.accountId, reason }, "account_lease_lost");
  }

  /** The account is removed or dormant: log out if removed, then give the lease back. */
  async retire(status: AccountStatus): Promise<void> {
    this.end();
    const { socket } = this;
    this.socket = undefined;
    await this.delivery.stop();
    if (status === "removed") {
      await socket?.logout().catch(() => undefined);
      await this.session.clear();
    } else {
      await socket?.close();
    }
    await this.c.accounts.release(this.accountId, this.epoch);
    this.c.logger.info({ accountId: this.accountId, status }, "account_retired");
  }

  /**
   * A planned move to another worker (the fleet evens out): finish the in-flight send, close the
   * socket without logging out, and give the lease back as a move. Not a disconnect: it counts
   * towards no reconnect loop and no cool-down. What was received and not yet receipted,
   * WhatsApp delivers again to the next holder (stored once by the dedupe).
   */
  async handOver(): Promise<void> {
    this.end();
    await this.closeSocket();
    const result = await this.c.accounts.handOver(this.accountId, this.epoch).catch((err: Error) => {
      this.c.logger.warn({ accountId: this.accountId, err: err.message }, "account_hand_over_failed");
      return "failed" as const;
    });
    this.c.logger.info({ accountId: this.accountId, epoch: this.epoch, result }, "account_handed_over");
  }

  /** Shutdown: finish in-flight sends, close the socket without logging out, release the lease. */
  async shutdown(): Promise<void> {
    this.end();
    await this.closeSocket();
    await this.c.accounts.release(this.accountId, this.epoch, "disconnected").catch(() => undefined);
  }

  /** Regenerate-QR asked after this socket's login began: start the login again with a fresh QR. */
  async restartLogin(qrRequestedAtMs: number): Promise<void> {
    if (qrRequestedAtMs <= this.qrRequestedAtMs || this.state === "open") return;
    this.qrRequestedAtMs = qrRequestedAtMs;
    await this.socket?.close();
    this.connect();
  }

  snapshot(nowMs: number): HeldAccountState {
    const { accountId, state, epoch } = this;
    return { accountId, state, epoch, ...this.history.snapshot(nowMs), reachout: this.delivery.reachoutSnapshot() };
  }
}
