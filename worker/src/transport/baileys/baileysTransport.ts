import { randomBytes } from "node:crypto";
import type { BinaryNode, CacheStore, SignalKeyStore, WAMessage, WASocket } from "@whiskeysockets/baileys";
import { LRUCache } from "lru-cache";
import type { Logger } from "../../logging/logger";
import type { AccountSocket, SentMessages, SessionStore, SocketHandlers, Transport } from "../transport";
import { SendError, SessionClosed } from "../transport";
import { sessionAuthState } from "./authState";
import { boundedCache } from "./boundedCache";
import { baileysLogger } from "./baileysLogger";
import { downloadMedia, WHATSAPP_MEDIA_HOSTS } from "./inboundMedia";
import { inboundOf, inboundRefOf } from "./inboundMessage";
import { mediaContent } from "./outboundMedia";
import { resendOf } from "./resend";
import { qrWithAdvSecret, REG_REFRESH_CHILDREN } from "./pairingQr";
import { followReachout } from "./reachout";
import { unhandledStanza } from "./unhandledStanzas";
import { loadBaileys } from "./module";

export interface BaileysOptions {
  websocketUrl: string;
  version: [number, number, number];
  browserName: string;
  /** QR codes shown per link attempt; then the socket ends with 408 and the account waits (needs_qr). */
  qrRefreshes: number;
  /** How long each QR lives (Baileys' qrTimeout); unset: 60 s, then 20 s each. */
  qrTimeoutMs?: number;
  logger: Logger;
}

/** Signal keys kept in memory per socket; the cache is dropped with its socket. */
const KEY_CACHE_ENTRIES = 2_000;
/** First QR lives 60 s, the next ones 20 s (Baileys' own timing). */
const FIRST_QR_MS = 60_000;
const NEXT_QR_MS = 20_000;
/**
 * How long the delivery receipt of an inbound message waits for its commit (our Baileys patch,
 * patches/@whiskeysockets+baileys+7.0.0-rc14+001+receipt-after-commit.patch). Past it no receipt
 * goes: WhatsApp delivers the message again after the next login, and the dedupe stores it once.
 */
const INBOUND_COMMIT_TIMEOUT_MS = 30_000;

/** Baileys closes with a Boom error whose `output.statusCode` is the DisconnectReason. */
const statusCodeOf = (error: unknown): number | undefined =>
  (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;

/**
 * The real WhatsApp connection: one Baileys socket per account, its session in Firestore
 * (per key, fenced by the account lease), mapped onto the Transport interface call for call.
 */
export class BaileysTransport implements Transport {
  readonly name = "baileys" as const;
  /** Per account, across socket restarts: Baileys' retry counters. */
  private readonly retryCounters = new Map<string, CacheStore & { close(): void }>();
  /** Per account: ids this worker sent, so Baileys' echo of them is not taken for a message typed on the phone. */
  private readonly ownSends = new Map<string, LRUCache<string, true>>();

  /** Where files are fetched from: WhatsApp's media hosts, or the loopback edge the socket talks to. */
  private readonly mediaHosts: RegExp;

  constructor(private readonly o: BaileysOptions) {
    this.mediaHosts = /^wss?:\/\/127\.0\.0\.1[:/]/.test(o.websocketUrl)
      ? /^127\.0\.0\.1(:\d+)?$/
      : WHATSAPP_MEDIA_HOSTS;
  }

  connect(
    accountId: string,
    {
      phoneNumber,
      session,
      sent,
      handlers,
    }: { phoneNumber: string | null; session: SessionStore; sent: SentMessages; handlers: SocketHandlers },
  ): AccountSocket {
    const logger = this.o.logger.child({ accountId, component: "baileys" });
    const started = this.start(accountId, phoneNumber, session, sent, handlers, logger).catch((err: Error) => {
      logger.warn({ err }, "baileys_socket_not_started");
      handlers.connection({ state: "close", code: statusCodeOf(err), reason: `socket not started: ${err.message}` });
      return undefined;
    });
    return {
      send: async (toJid, text, messageId, { template, media } = {}) => {
        if (template) throw new SendError("a template is sent through the Cloud API only", true);
        const socket = await started;
        if (!socket) throw new SendError("socket closed", false);
        this.ownSendsOf(accountId).set(messageId, true);
        try {
          const full = await socket.sendMessage(toJid, media ? mediaContent(media, text) : { text }, { messageId });
          // A contact's phone that cannot decrypt it asks again: getMessage must give the whole
          // media message back (its URL and media key), not just the caption. It went out: a
          // failure to keep it costs that resend only.
          if (media && full?.message) {
            const encoded = (await loadBaileys()).proto.Message.encode(full.message).finish();
            await sent
              .rememberMedia(messageId, Buffer.from(encoded).toString("base64"))
              .catch((err: Error) => logger.warn({ messageId, err: err.message }, "sent_media_not_kept"));
          }
          // Baileys' event buffer can hold our `append` upsert (and an ERROR ack folded into it)
          // until some later event flushes it, up to 30 s: let it out now.
          socket.ev.flush();
        } catch (err) {
          // The stanza may already have left (Baileys commits keys after sending): maybe sent, retried under the same id.
          throw new SendError(`send failed: ${(err as Error).message}`, false);
        }
      },
      downloadMedia: async (ref) => {
        const socket = await started;
        if (!socket) throw new Error("socket closed");
        return downloadMedia(await loadBaileys(), socket, ref, this.mediaHosts);
      },
      logout: async () => {
        const socket = await started;
        await socket?.logout();
      },
      close: async () => {
        const socket = await started;
        socket?.end(undefined);
      },
    };
  }

  private async start(
    accountId: string,
    phoneNumber: string | null,
    session: SessionStore,
    sent: SentMessages,
    handlers: SocketHandlers,
    logger: Logger,
  ): Promise<WASocket | undefined> {
    const B = await loadBaileys();
    handlers.connection({ state: "connecting" });
    if ((await session.open()) === "fenced") {
      handlers.connection({ state: "close", code: 440, reason: "a newer lease holder owns the session" });
      return undefined;
    }
    const { state, saveCreds } = await sessionAuthState(B, session);
    const keyCache = boundedCache(KEY_CACHE_ENTRIES);
    const baileysLog = baileysLogger(logger.child({}, { level: "warn" }));
    const cached = B.makeCacheableSignalKeyStore(state.keys, baileysLog, keyCache);
    // A failed commit ends the socket and drops the cache: the cache may hold keys never stored.
    const failCommit = (err: Error) => {
      // Refused at shutdown (the socket is closing anyway): not a failure to look into.
      if (err instanceof SessionClosed) logger.info({ err: err.message }, "session_commit_after_close");
      else logger.error({ err }, "session_commit_failed");
      keyCache.close();
      socket.end(err);
    };
    const keys: SignalKeyStore = {
      get: (type, ids) => cached.get(type, ids),
      set: async (data) => {
        try {
          await cached.set(data);
        } catch (err) {
          failCommit(err as Error);
          throw err;
        }
      },
      clear: cached.clear?.bind(cached),
    };
    let inbound: Promise<unknown> = Promise.resolve();
    const commits = new WeakMap<WAMessage, Promise<boolean>>();
    /**
     * Maps and stores one delivered message once: the patched receipt path (`awaitInboundCommit`)
     * and the `messages.upsert` of the same message (Baileys may buffer it past the receipt; the
     * same object) share it; a replay is another delivery, and the store's dedupe finds it. Mapped
     * one after another (a LID may need a look-up), so the store gets them in order; true once
     * committed, or at once when there is nothing to store (our own echo, protocol traffic).
     */
    const commitOf = (message: WAMessage): Promise<boolean> => {
      const known = commits.get(message);
      if (known) return known;
      const mapped = inbound.then(() => inboundOf(B, socket, message, (id) => this.ownSendsOf(accountId).has(id)));
      inbound = mapped.catch(() => undefined);
      const commit = mapped.then(
        async (m) => (m ? (await handlers.message(m)) === "committed" : true),
        (err: Error) => {
          // Unreadable now is unreadable on every redelivery: receipted, and logged for a look.
          logger.error({ messageId: message.key.id, err: err.message }, "inbound_unreadable");
          return true;
        },
      );
      commits.set(message, commit);
      return commit;
    };
    const socket: WASocket = B.makeWASocket({
      auth: { creds: state.creds, keys },
      waWebSocketUrl: this.o.websocketUrl,
      version: this.o.version,
      browser: B.Browsers.appropriate(this.o.browserName),
      logger: baileysLog,
      markOnlineOnConnect: false,
      ...(this.o.qrTimeoutMs ? { qrTimeout: this.o.qrTimeoutMs } : {}),
      syncFullHistory: false,
      // The gateway imports no message history, but keeps the phone's bootstrap (and push names):
      // it carries the LID ↔ phone number mappings Baileys needs. With RECENT off, Baileys goes
      // online as soon as WhatsApp has delivered what it held (`<ib><offline>`) instead of
      // holding every event up to 20 s on a first login while it waits for a history notification.
      shouldSyncHistoryMessage: ({ syncType }) =>
        syncType === B.proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP ||
        syncType === B.proto.HistorySync.HistorySyncType.PUSH_NAME,
      msgRetryCounterCache: this.retryCounterOf(accountId),
      getMessage: resendOf(B, () => socket, sent, logger),
      shouldIgnoreJid: (jid) =>
        B.isJidBroadcast(jid) || B.isJidStatusBroadcast(jid) || B.isJidNewsletter(jid) || B.isJidGroup(jid) === true,
      // Patched in: the delivery receipt waits for the message's commit, so a crash before it
      // loses nothing (WhatsApp redelivers what it never got a receipt for). What the gateway does
      // not store (our own echo, protocol traffic) counts as committed at once.
      awaitInboundCommit: (message) => commitOf(message),
      inboundCommitTimeoutMs: INBOUND_COMMIT_TIMEOUT_MS,
      // Also patched in: a message delivered again that cannot be decrypted (its keys were used by
      // the delivery whose receipt never left) is receipted if it was stored, not asked for again.
      isInboundCommitted: async (key) => {
        const ref = await inboundRefOf(B, socket, key);
        return ref !== undefined && handlers.stored !== undefined && (await handlers.stored(ref));
      },
    });
    const ev = socket.ev;
    let qrShown = 0;
    let askedPairingCode = false;
    /** The QR Baileys rendered last (its ref is the current one) and when it expires. */
    let shownQr: { raw: string; expiresAt: Date } | undefined;
    /** Publishing a QR waits for the creds holding its ADV secret to be stored. */
    let secretStored: Promise<unknown> = Promise.resolve();
    const showQr = (raw: string, expiresAt: Date) => {
      shownQr = { raw, expiresAt };
      void secretStored.then(() => {
        if (shownQr?.raw !== raw || qrShown > this.o.qrRefreshes) return;
        // rc14 captured the ADV secret when pair-device arrived: every QR gets the current one.
        handlers.connection({ state: "qr", qr: qrWithAdvSecret(raw, state.creds.advSecretKey), expiresAt });
      });
    };
    // Today's WhatsApp answers the first scan with companion_reg_refresh, retiring the QR's ADV
    // secret; rc14 acks it and drops it (Baileys #2737), so the phone can never link. As WhatsApp
    // Web does: a new 32-byte secret, stored before any pair-success can need it, and the current
    // ref re-rendered with it, and the notification acknowledged.
    socket.ws.on("CB:notification,type:companion_reg_refresh", (node: BinaryNode) => {
      // rc14 cannot ack a notification before the socket is paired (it reads creds.me.id): we do.
      if (!state.creds.me?.id) {
        const { id, from, type } = node.attrs;
        void socket
          .sendNode({ tag: "ack", attrs: { id: id!, to: from!, class: "notification", type: type! } })
          .catch((err: Error) => logger.warn({ err: err.message }, "reg_refresh_ack_failed"));
      }
      const child = Array.isArray(node.content) ? node.content[0]?.tag : undefined;
      if (!child || !REG_REFRESH_CHILDREN.has(child)) {
        logger.warn({ child: child ?? null }, "reg_refresh_unrecognised");
        return;
      }
      // A pairing-code flow derived its ADV secret from the code exchange: rotating it would break
      // the pending pair-success HMAC (whatsapp-rust #1163), and no QR is shown to re-render.
      if (phoneNumber || state.creds.me?.id) {
        logger.info({ child, pairingCode: phoneNumber !== null }, "reg_refresh_not_rotated");
        return;
      }
      state.creds.advSecretKey = randomBytes(32).toString("base64");
      logger.info({ child }, "reg_refresh_adv_secret_rotated");
      secretStored = saveCreds().catch(failCommit);
      if (shownQr) showQr(shownQr.raw, shownQr.expiresAt);
    });
    // Every frame WhatsApp sends, checked against what rc14 and this transport handle.
    socket.ws.on("frame", (frame: BinaryNode | Uint8Array) => {
      if (frame instanceof Uint8Array || !handlers.unhandled) return;
      const unhandled = unhandledStanza(frame);
      if (unhandled) handlers.unhandled(unhandled);
    });
    ev.on("creds.update", () => void saveCreds().catch(failCommit));
    const reachout = followReachout(socket, (update) => handlers.reachout?.(update), logger);
    ev.on("connection.update", (update) => {
      if (update.qr) {
        qrShown++;
        if (qrShown > this.o.qrRefreshes) return socket.end(new Error("QR not scanned"));
        if (phoneNumber && !askedPairingCode) {
          // Only after the first QR: asked earlier, Baileys logs in instead of registering (401).
          askedPairingCode = true;
          void socket.requestPairingCode(phoneNumber).then(
            (code) =>
              handlers.connection({ state: "pairing_code", code, expiresAt: new Date(Date.now() + FIRST_QR_MS) }),
            (err: Error) => logger.warn({ err }, "pairing_code_failed"),
          );
          return;
        }
        if (!phoneNumber) {
          const ttl = this.o.qrTimeoutMs ?? (qrShown === 1 ? FIRST_QR_MS : NEXT_QR_MS);
          showQr(update.qr, new Date(Date.now() + ttl));
        }
      }
      if (update.connection === "open") {
        handlers.connection({ state: "open", meJid: B.jidNormalizedUser(state.creds.me?.id ?? "") });
        reachout.opened();
      }
      if (update.connection === "close") {
        keyCache.close();
        const error = update.lastDisconnect?.error;
        const code = qrShown > this.o.qrRefreshes ? 408 : statusCodeOf(error);
        handlers.connection({ state: "close", code, reason: error?.message ?? "closed" });
      }
    });
    // The status of one of our sends. Baileys' event buffer folds a receipt or an ERROR ack that
    // arrives while our own `append` upsert is still buffered into that upsert, so both carry it.
    const ownStatus = (
      key: WAMessage["key"],
      status: number | null | undefined,
      stubParameters: string[] | null | undefined,
    ) => {
      if (!key.fromMe || !key.id || status === undefined || status === null) return;
      const { Status } = B.proto.WebMessageInfo;
      if (status === Status.ERROR) {
        const code = Number(stubParameters?.[0] ?? 0) || undefined;
        logger.warn({ messageId: key.id, code }, "message_rejected_by_whatsapp");
        handlers.receipt({ messageId: key.id, status: "failed", code });
        reachout.refused(code);
      } else if (status === Status.DELIVERY_ACK) handlers.receipt({ messageId: key.id, status: "delivered" });
      else if (status >= Status.READ) handlers.receipt({ messageId: key.id, status: "read" });
    };
    // `notify` is what arrives live; `append` is what WhatsApp held while no socket was up (the
    // `offline` stanzas after a login, stored like live ones) and the echo of our own sends. A
    // message that came through the receipt path is already being stored (`commitOf` finds it).
    // History sync never comes here (it is `messaging-history.set`, and we ask for none).
    ev.on("messages.upsert", ({ messages }) => {
      for (const message of messages) {
        if (message.key.fromMe) ownStatus(message.key, message.status, message.messageStubParameters);
        void commitOf(message);
      }
    });
    ev.on("messages.update", (updates) => {
      for (const { key, update } of updates) ownStatus(key, update.status, update.messageStubParameters);
    });
    return socket;
  }

  private ownSendsOf(accountId: string) {
    let sends = this.ownSends.get(accountId);
    if (!sends) this.ownSends.set(accountId, (sends = new LRUCache<string, true>({ max: 5_000 })));
    return sends;
  }

  private retryCounterOf(accountId: string) {
    let cache = this.retryCounters.get(accountId);
    if (!cache) this.retryCounters.set(accountId, (cache = boundedCache(1_000, 3_600_000)));
    return cache;
  }
}
