import { appendFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { DisconnectCode } from "@wa-gateway/core/accounts";
import {
  SendError,
  type AccountSocket,
  type InboundMessage,
  type OutgoingMedia,
  type ReachoutUpdate,
  type SocketHandlers,
  type Transport,
} from "./transport";

/**
 * A fake WhatsApp network, in process: the edge of the world the worker talks to when
 * WA_TRANSPORT=simulated. Accounts link by "scanning" a QR (after `autoLinkMs`, or on demand
 * with `scan`), inbound messages and receipts can be injected, sends can fail or hang, and a
 * disconnect with any code can be forced. Like WhatsApp, it holds what a contact sends while the
 * account has no open socket, and what the worker gave up on before storing it (never receipted),
 * and delivers it after the next login. The recipient side records every delivery by message
 * id, like a WhatsApp client: a re-send under the same id is recognised and counted as a
 * duplicate, not shown twice. With `recordFile`, each delivery is also appended as a JSON line,
 * so deliveries from several worker processes can be counted together.
 */

export interface SimulatedOptions {
  /** Scan the QR automatically after this many ms (local stack); null: only `scan()` links. */
  autoLinkMs?: number | null;
  /** Delay of each send, ms. */
  sendLatencyMs?: number;
  /** Send a `delivered` receipt this long after each delivery; null: no receipts. */
  deliveredReceiptMs?: number | null;
  recordFile?: string;
  qrTtlMs?: number;
  /** Once linked, each socket receives a message from one of three contacts this often. */
  inboundEveryMs?: number | null;
  /** With it, each inbound message handed to the worker is appended as a JSON line (chaos suite). */
  inboundRecordFile?: string;
}

interface LiveSocket {
  accountId: string;
  handlers: SocketHandlers;
  closed: boolean;
  /** Logged in: the socket has said `open`, and receives messages. */
  open: boolean;
  /** Set once linked: a send from another simulated account to this id arrives here as inbound. */
  meJid?: string;
  onScan?: () => void;
  timers: Set<NodeJS.Timeout>;
}

export interface Delivery {
  accountId: string;
  toJid: string;
  text: string;
  messageId: string;
  /** A file sent with it: its kind, type and bytes' SHA-256 as the recipient got them. */
  media?: { kind: string; mimetype: string; size: number; sha256: string };
  /** When it reached the recipient (ms since epoch). */
  at: number;
}

export class SimulatedWhatsApp implements Transport {
  readonly name = "simulated" as const;
  private readonly sockets = new Map<string, LiveSocket>();
  private readonly failures = new Map<string, { remaining: number; permanent: boolean }>();
  private readonly hangs = new Map<string, number>();
  /** Every send that reached the network (raw, duplicates included). */
  readonly rawSends: Delivery[] = [];
  /** Recipient side: times each message id arrived. */
  private readonly arrivals = new Map<string, number>();
  /** Per account, what contacts sent while no socket of it was open: delivered after the next login. */
  private readonly offline = new Map<string, InboundMessage[]>();

  constructor(private readonly options: SimulatedOptions = {}) {}

  connect(accountId: string, { phoneNumber, session, handlers }: Parameters<Transport["connect"]>[1]): AccountSocket {
    const socket: LiveSocket = { accountId, handlers, closed: false, open: false, timers: new Set() };
    // A second connection for the account replaces the first, as WhatsApp does (440): the old
    // socket is closed for real, so none of its timers (QR scan, expiry) can act afterwards.
    const previous = this.sockets.get(accountId);
    if (previous) this.closeSocket(previous, DisconnectCode.connectionReplaced, "replaced");
    this.sockets.set(accountId, socket);
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        socket.timers.delete(t);
        if (!socket.closed) fn();
      }, ms);
      socket.timers.add(t);
    };

    later(0, () => {
      handlers.connection({ state: "connecting" });
      void session
        .open()
        .then((opened) => (opened === "opened" ? session.readCreds() : Promise.reject(new Error("session fence lost"))))
        .then(
          (creds) => {
            if (socket.closed) return;
            if (creds?.meJid) {
              return later(5, () => {
                socket.meJid = String(creds.meJid);
                socket.open = true;
                handlers.connection({ state: "open", meJid: socket.meJid });
                this.deliverOffline(socket);
                this.startInboundTraffic(socket, later);
              });
            }
            const ttl = this.options.qrTtlMs ?? 60_000;
            if (phoneNumber) {
              handlers.connection({
                state: "pairing_code",
                code: randomBytes(4).toString("hex").toUpperCase(),
                expiresAt: new Date(Date.now() + ttl),
              });
            } else {
              handlers.connection({
                state: "qr",
                qr: `SIM-QR:${accountId}:${randomBytes(8).toString("hex")}`,
                expiresAt: new Date(Date.now() + ttl),
              });
            }
            // Linking writes the creds, then the server asks for a restart (515), as WhatsApp does.
            socket.onScan = () => {
              const meJid = phoneNumber
                ? `${phoneNumber}@s.whatsapp.net`
                : `4070${Math.floor(1e6 + Math.random() * 8e6)}@s.whatsapp.net`;
              void session.commit({ creds: { meJid, linkedAt: new Date().toISOString() } }).then(
                () => this.closeSocket(socket, DisconnectCode.restartRequired, "restart required after pairing"),
                () => this.closeSocket(socket, DisconnectCode.connectionLost, "session could not be saved"),
              );
            };
            if (this.options.autoLinkMs != null) later(this.options.autoLinkMs, () => socket.onScan?.());
            later(ttl, () => this.closeSocket(socket, DisconnectCode.timedOut, "QR not scanned in time"));
          },
          () => this.closeSocket(socket, DisconnectCode.connectionLost, "session could not be read"),
        );
    });

    return {
      // The simulator's contacts send text only.
      downloadMedia: () => Promise.reject(new Error("the simulated network carries no media")),
      send: async (toJid, text, messageId, extras = {}) => {
        if (extras.template) throw new SendError("a template is sent through the Cloud API only", true);
        if (socket.closed) throw new SendError("socket closed", false);
        const hangs = this.hangs.get(accountId) ?? 0;
        if (hangs > 0) {
          this.hangs.set(accountId, hangs - 1);
          return new Promise<void>(() => undefined); // a socket that swallowed the stanza: no answer, ever
        }
        const latency = this.options.sendLatencyMs ?? 0;
        if (latency > 0) await new Promise((r) => setTimeout(r, latency));
        const failure = this.failures.get(accountId);
        if (failure && failure.remaining > 0) {
          failure.remaining--;
          throw new SendError("simulated send failure", failure.permanent);
        }
        if (socket.closed) throw new SendError("socket closed", false);
        // The recipient's phone takes the whole file: its bytes are read and counted, as an upload would.
        const media = extras.media ? await receivedFile(extras.media) : undefined;
        this.record({ accountId, toJid, text, messageId, at: Date.now(), ...(media ? { media } : {}) });
        this.routeToLinkedAccount(socket, toJid, text, messageId);
        const receiptMs = this.options.deliveredReceiptMs;
        if (receiptMs != null) later(receiptMs, () => handlers.receipt({ messageId, status: "delivered" }));
      },
      logout: async () => {
        await session.clear();
        this.closeSocket(socket, DisconnectCode.loggedOut, "logged out");
      },
      close: async () => this.closeSocket(socket, undefined, "closed by worker", false),
    };
  }

  private closeSocket(socket: LiveSocket, code: number | undefined, reason: string, notify = true): void {
    if (socket.closed) return;
    socket.closed = true;
    socket.open = false;
    socket.timers.forEach(clearTimeout);
    if (this.sockets.get(socket.accountId) === socket) this.sockets.delete(socket.accountId);
    if (notify) socket.handlers.connection({ state: "close", code, reason });
  }

  /** Hands a message to an open socket; one the worker gives up on (not receipted) is held for the next login. */
  private hand(socket: LiveSocket, message: InboundMessage): void {
    void socket.handlers.message(message).then((commit) => {
      if (commit === "not_committed") this.hold(socket.accountId, message);
    });
  }

  private hold(accountId: string, message: InboundMessage): void {
    this.offline.set(accountId, [...(this.offline.get(accountId) ?? []), message]);
  }

  /** After a login: what was held for the account, in the order it was sent. */
  private deliverOffline(socket: LiveSocket): void {
    const held = this.offline.get(socket.accountId) ?? [];
    this.offline.delete(socket.accountId);
    for (const message of held) this.hand(socket, message);
  }

  /** The account's socket, if it is logged in. */
  private openSocket(accountId: string): LiveSocket | undefined {
    const socket = this.sockets.get(accountId);
    return socket?.open ? socket : undefined;
  }

  /** Two accounts of this network talking to each other (the inbound probe does this). */
  private routeToLinkedAccount(from: LiveSocket, toJid: string, text: string, messageId: string): void {
    for (const target of this.sockets.values()) {
      if (target.meJid !== toJid || target.closed || !from.meJid) continue;
      const fromJid = from.meJid;
      // Like any contact's message: held if the target is not logged in by then.
      setTimeout(() => this.inbound(target.accountId, { messageId, fromJid, text }), 5);
    }
  }

  /** Contacts writing to a linked account at a steady pace; ids unique across processes. */
  private startInboundTraffic(socket: LiveSocket, later: (ms: number, fn: () => void) => void): void {
    const every = this.options.inboundEveryMs;
    if (!every) return;
    const nonce = randomBytes(4).toString("hex").toUpperCase();
    let seq = 0;
    const next = () => {
      const n = seq++;
      const message = {
        messageId: `3EB0IN${nonce}${String(n).padStart(6, "0")}`,
        fromJid: `4079000000${n % 3}@s.whatsapp.net`,
        text: `inbound ${n}`,
        timestamp: new Date(),
      };
      if (this.options.inboundRecordFile) {
        const line = { accountId: socket.accountId, messageId: message.messageId, pid: process.pid, at: Date.now() };
        appendFileSync(this.options.inboundRecordFile, `${JSON.stringify(line)}\n`);
      }
      this.hand(socket, message);
      later(every, next);
    };
    later(every, next);
  }

  private record(delivery: Delivery): void {
    this.rawSends.push(delivery);
    this.arrivals.set(delivery.messageId, (this.arrivals.get(delivery.messageId) ?? 0) + 1);
    if (this.options.recordFile) appendFileSync(this.options.recordFile, `${JSON.stringify(delivery)}\n`);
  }

  // ---- the test and local-stack side of the network ----

  /** Scans the QR (or enters the pairing code) shown for the account. */
  scan(accountId: string): boolean {
    const socket = this.sockets.get(accountId);
    if (!socket?.onScan) return false;
    socket.onScan();
    return true;
  }

  /** WhatsApp tells the account's socket its reach-out timelock or new-chat quota. */
  reachout(accountId: string, update: ReachoutUpdate): boolean {
    const socket = this.sockets.get(accountId);
    if (!socket || socket.closed) return false;
    socket.handlers.reachout?.(update);
    return true;
  }

  /** The account's socket is logged in (linked, `open`): what a contact sends reaches it at once. */
  isOpen(accountId: string): boolean {
    return this.openSocket(accountId) !== undefined;
  }

  /** The account has a socket at all, logged in or not (connecting, showing a QR). */
  hasSocket(accountId: string): boolean {
    return this.sockets.has(accountId);
  }

  /**
   * A message from `fromJid` to the account (replays use the same messageId): `delivered` to its
   * open socket, or `held` until its next login, as WhatsApp holds messages for an offline device.
   */
  inbound(
    accountId: string,
    message: { messageId: string; fromJid: string; fromJidAlt?: string; text: string },
  ): "delivered" | "held" {
    const sent = { ...message, timestamp: new Date() };
    const socket = this.openSocket(accountId);
    if (!socket) {
      this.hold(accountId, sent);
      return "held";
    }
    this.hand(socket, sent);
    return "delivered";
  }

  receipt(accountId: string, messageId: string, status: "delivered" | "read"): boolean {
    const socket = this.sockets.get(accountId);
    if (!socket) return false;
    socket.handlers.receipt({ messageId, status });
    return true;
  }

  disconnect(accountId: string, code: number): void {
    const socket = this.sockets.get(accountId);
    if (socket) this.closeSocket(socket, code, `forced ${code}`);
  }

  /** The next `count` sends of the account never answer (neither resolve nor reject) and reach no one. */
  hangNextSends(accountId: string, count: number): void {
    this.hangs.set(accountId, count);
  }

  failNextSends(accountId: string, count: number, permanent = false): void {
    this.failures.set(accountId, { remaining: count, permanent });
  }

  /** Distinct message ids delivered, and how many deliveries repeated one already delivered. */
  recipientTally(): { delivered: number; duplicates: number } {
    let duplicates = 0;
    for (const n of this.arrivals.values()) duplicates += n - 1;
    return { delivered: this.arrivals.size, duplicates };
  }

  deliveriesTo(toJid: string): Delivery[] {
    return this.rawSends.filter((d) => d.toJid === toJid);
  }
}

/** A sent file as the simulated recipient holds it: read whole, counted and hashed. */
async function receivedFile(media: OutgoingMedia): Promise<NonNullable<Delivery["media"]>> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of media.open()) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { kind: media.kind, mimetype: media.mimetype, size, sha256: hash.digest("hex") };
}
