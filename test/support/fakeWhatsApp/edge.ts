/**
 * A fake WhatsApp edge on 127.0.0.1 that the unmodified Baileys socket connects to: the
 * Noise handshake, QR and pairing-code linking (the test plays the phone), the 515 restart and login,
 * pre-key upload and fetch, USync, and contacts that really decrypt what the worker sends
 * and really encrypt what they send it, with Baileys' own libsignal repository. It stands at
 * the true edge of the world, WhatsApp's servers, and nothing else is faked.
 */
import { randomBytes, randomInt } from "node:crypto";
import { EventEmitter, once } from "node:events";
import type { AddressInfo } from "node:net";
import type { BinaryNode, proto as Proto } from "@whiskeysockets/baileys";
import { WebSocketServer, type WebSocket } from "ws";
import { makeEdgeCertificate, ServerNoise, type EdgeCertificate } from "./noise.js";
import { signalParty, type SignalParty } from "./signalParty.js";
import { FakeMediaHost } from "./mediaHost.js";
import {
  mediaRetryNotification,
  receivedMediaOf,
  uploadFromPhone,
  type PhoneMedia,
  type ReceivedMedia,
  type SentFile,
} from "./contactMedia.js";
import { loadPinnedBaileys as loadBaileys, type Baileys } from "../../../worker/src/transport/baileys/module.js";

/** Baileys' own codec and crypto, loaded by `FakeWhatsApp.start()` before anything uses it. */
let B!: Baileys;

const SERVER = "s.whatsapp.net";
const QR_REFS = 6;

/** A pre-key bundle as Baileys uploads it (`encrypt` set): the nodes, kept as they came. */
interface KeyBundle {
  registration: BinaryNode;
  type: BinaryNode;
  identity: BinaryNode;
  signedPreKey: BinaryNode;
  preKeys: BinaryNode[];
}

/**
 * One linked companion device, as WhatsApp's servers keep it: its uploaded pre-keys, and every
 * stanza addressed to it that it has not acknowledged yet with a receipt (its offline queue).
 * WhatsApp holds a message until the device's receipt, whether or not a socket was up: what a
 * socket got but never receipted is delivered again, `offline`, after the next login.
 */
interface DeviceState {
  bundle?: KeyBundle;
  held: BinaryNode[];
  /**
   * A contact's message encrypted afresh, by id: what the contact's phone sends again when the
   * device answers it with a retry receipt (it could not decrypt it, e.g. a redelivery of a
   * message whose Signal keys the device had already used before it crashed).
   */
  resend?: Map<string, () => Promise<BinaryNode>>;
}

/** A WhatsApp user that the worker links to: its phone number, its LID and its account key. */
interface LinkedAccount {
  user: string;
  lid: string;
  accountKey: { private: Uint8Array; public: Uint8Array };
  nextDevice: number;
  devices: Map<number, DeviceState>;
  /** The phone itself (device 0): its Signal keys, once it has written from itself. */
  phone?: SignalParty;
  /** Contacts (by number) this account has a conversation with: they wrote, or it reached them. */
  warm: Set<string>;
  /** WhatsApp's reach-out timelock on the account: no new chat until `untilMs`. */
  timelock?: { untilMs: number; enforcement: string };
  /** The account's new-chat quota, for a business account that has one. */
  quota?: { total: number; used: number; cycleEndsMs: number };
  /** Messages to a new contact refused with 463 (each one more "reach out" in WhatsApp's count). */
  refused463: number;
}

/** WhatsApp's GraphQL (w:mex) query ids and answer paths that Baileys rc14 asks with. */
const MEX = {
  reachoutTimelock: { queryId: "23983697327930364", path: "xwa2_fetch_account_reachout_timelock" },
  newChatCap: { queryId: "24503548349331633", path: "xwa2_message_capping_info" },
} as const;

export interface ContactMessage {
  id: string;
  /** The conversation text, or undefined for any other kind of message. */
  text: string | undefined;
  /** A photo, voice note, document, ...: downloaded from the media host, checked and decrypted. */
  media?: ReceivedMedia;
  /** The JID the worker addressed (phone number or LID form). */
  to: string;
  /** When it reached the contact (ms since epoch). */
  at: number;
}

/** A WhatsApp user on the far side: what the worker's account talks to. */
export class FakeContact {
  readonly received: ContactMessage[] = [];
  /** `accepted` (message id) when the edge takes a message for this contact; `message` when it arrives. */
  readonly events = new EventEmitter();
  private arrivals: Promise<void> = Promise.resolve();

  constructor(
    readonly pn: string,
    readonly lid: string,
    readonly name: string,
    readonly party: SignalParty,
    readonly bundle: KeyBundle,
  ) {}

  get pnJid(): string {
    return `${this.pn}@${SERVER}`;
  }

  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  /**
   * Runs one arrival after the ones accepted before it: the contact's phone sees messages in the
   * order WhatsApp accepted them, however long each one takes to decrypt.
   */
  inArrivalOrder(arrive: () => Promise<void>): Promise<void> {
    const arrival = this.arrivals.then(arrive);
    this.arrivals = arrival.catch(() => undefined);
    return arrival;
  }

  /** Resolves with the first received message that matches. */
  async nextMessage(
    match: (message: ContactMessage) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<ContactMessage> {
    const found = this.received.find(match);
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off("message", onMessage);
        reject(new Error(`contact ${this.pn} received no matching message in ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: ContactMessage) => {
        if (!match(message)) return;
        clearTimeout(timer);
        this.events.off("message", onMessage);
        resolve(message);
      };
      this.events.on("message", onMessage);
    });
  }
}

/**
 * What the edge does with the next messages sent to a contact: acknowledge them, reject them with
 * an error code, or say nothing at all, not even to the queries that look the contact up.
 */
type ContactPolicy = { kind: "ack" } | { kind: "error"; code: number } | { kind: "silent" };

/**
 * Since late July 2026 WhatsApp answers the first scan of a QR with
 * `<notification type="companion_reg_refresh">` (child `companion_reg_refresh` or
 * `pair-device-rotate-qr`), retiring the ADV secret that QR advertises (Baileys #2737): the phone
 * shows "couldn't link device" until the companion shows its current ref with a new secret.
 * "off" is the older WhatsApp, for nothing but a test that needs it.
 */
export type RegRefresh = "companion_reg_refresh" | "pair-device-rotate-qr" | "off";

/** What a QR scan did: linked, answered with companion_reg_refresh, or refused (a retired secret). */
export type ScanResult = "linked" | "refreshed" | "refused";

class EdgeConnection {
  readonly noise: ServerNoise;
  ephemeral: { private: Uint8Array; public: Uint8Array } | undefined;
  stage: "hello" | "finish" | "open" = "hello";
  /** `user:device` once logged in. */
  device: { user: string; device: number } | undefined;
  pairing: { refs: string[] } | undefined;
  /** A pairing-code login asked for (companion_hello): for the phone's number, the wrapped key. */
  linkCode: { phone: string; wrappedCompanionEphemeral: Buffer } | undefined;
  /**
   * After login the device's offline queue is delivered first (`offline` stanzas, then
   * `<ib><offline count>`); until then new stanzas wait in the queue behind it.
   */
  live = false;
  /** Told the client's `<ib><offline_batch>` (its answer to `<ib><offline_preview>`). */
  onOfflineBatch: ((count: number) => void) | undefined;
  /** Whether this unpaired socket was already sent companion_reg_refresh (after its first scan). */
  regRefreshed = false;
  /** ADV secrets a companion_reg_refresh retired: a QR still carrying one is refused. */
  readonly retiredSecrets = new Set<string>();

  constructor(
    readonly ws: WebSocket,
    certificate: EdgeCertificate,
  ) {
    this.noise = new ServerNoise(B, certificate);
  }

  send(node: BinaryNode): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(this.noise.frame(B.encodeBinaryNode(node)));
  }
}

export class FakeWhatsApp {
  private readonly certificate = makeEdgeCertificate(B);
  private readonly server: WebSocketServer;
  private readonly connections = new Set<EdgeConnection>();
  private readonly accounts = new Map<string, LinkedAccount>();
  private readonly contacts = new Map<string, FakeContact>();
  private readonly policies = new Map<string, ContactPolicy>();
  /** Pairing-code logins waiting for the socket's companion_finish, by link-code ref. */
  private readonly linkCodeFinishes = new Map<string, (finish: BinaryNode) => void>();
  /** What to do when the socket answers one of our iqs, by stanza id. */
  private readonly replies = new Map<string, () => void>();
  private nextId = 1;
  /** When a socket first receipted each message id (ms): from then on WhatsApp holds it no more. */
  readonly receiptedAt = new Map<string, number>();
  /** Emits `receipt` (message id) when a socket first receipts a message. */
  readonly receipts = new EventEmitter();
  /** Stanzas delivered with the `offline` attribute after a login, over the edge's life. */
  offlineDelivered = 0;
  /** Every stanza and handshake error, for a failing test to print. */
  readonly log: string[] = [];

  /** Contacts' phones report each message delivered this long after it arrived (null: only when told). */
  private deliveredAfterMs: number | null = null;
  /** The child of the companion_reg_refresh a first scan gets ("off": none). */
  private regRefresh: RegRefresh = "companion_reg_refresh";
  /** Ids of the notifications the socket acknowledged. */
  readonly notificationAcks = new Set<string>();
  /** Files contacts' phones sent, by message id: uploaded again when a receiver asks (media retry). */
  private readonly phoneFiles = new Map<string, SentFile>();

  private constructor(
    server: WebSocketServer,
    /** WhatsApp's media hosts (HTTPS on 127.0.0.1, the test CA): uploads and downloads of encrypted files. */
    readonly media: FakeMediaHost,
  ) {
    this.server = server;
    server.on("connection", (ws) => this.accept(ws));
  }

  static async start(options: { deliveredAfterMs?: number; regRefresh?: RegRefresh } = {}): Promise<FakeWhatsApp> {
    B = await loadBaileys();
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(server, "listening");
    const edge = new FakeWhatsApp(server, await FakeMediaHost.start());
    edge.deliveredAfterMs = options.deliveredAfterMs ?? null;
    edge.regRefresh = options.regRefresh ?? "companion_reg_refresh";
    return edge;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/chat`;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.media.close();
  }

  // --- the phone and the world, as a test drives them ---

  /** A contact on WhatsApp, with a phone number, a LID and its own Signal keys. */
  async addContact(pn: string, name = `Contact ${pn}`): Promise<FakeContact> {
    const party = await signalParty();
    const { node } = await B.getNextPreKeysNode({ creds: party.creds, keys: party.keys }, 20);
    const contact = new FakeContact(pn, `${randomInt(1e13, 9e13)}`, name, party, bundleOf(node));
    this.contacts.set(pn, contact);
    this.contacts.set(contact.lid, contact);
    return contact;
  }

  /**
   * The phone scans a QR the worker published. As today's WhatsApp does: the first scan of an
   * unpaired socket's QR is answered with companion_reg_refresh, which retires the QR's ADV
   * secret ("refreshed"; the phone says "couldn't link device"); a QR still carrying a retired
   * secret is refused; any other links a new companion device of `phoneNumber`: `pair-success`
   * (its HMAC under the scanned secret), then (once the socket signed it) the 515 restart.
   */
  scanQr(qr: string, phoneNumber: string): ScanResult {
    const [ref, , identityB64, advB64] = qr.slice(qr.indexOf("#") + 1).split(",");
    const connection = [...this.connections].find((c) => c.pairing?.refs.includes(ref ?? ""));
    if (!connection?.pairing || !identityB64 || !advB64) throw new Error(`no socket is showing QR ref ${ref}`);
    if (connection.retiredSecrets.has(advB64)) {
      this.log.push(`QR ref ${ref} refused: its ADV secret was retired by companion_reg_refresh`);
      return "refused";
    }
    if (this.regRefresh !== "off" && !connection.regRefreshed) {
      connection.regRefreshed = true;
      connection.retiredSecrets.add(advB64);
      this.sendRegRefresh(connection);
      return "refreshed";
    }
    connection.pairing = undefined;
    this.pairSuccess(
      connection,
      this.accountOf(phoneNumber),
      Buffer.from(identityB64, "base64"),
      Buffer.from(advB64, "base64"),
    );
    return "linked";
  }

  /** `<notification type="companion_reg_refresh">` with today's child, as WhatsApp sends it to an unpaired socket. */
  private sendRegRefresh(connection: EdgeConnection): void {
    const child = this.regRefresh === "off" ? "companion_reg_refresh" : this.regRefresh;
    const id = this.stanzaId();
    this.log.push(`companion_reg_refresh ${id} (${child})`);
    connection.send({
      tag: "notification",
      attrs: { id, type: "companion_reg_refresh", from: SERVER, t: `${Math.floor(Date.now() / 1000)}` },
      content: [{ tag: child, attrs: {} }],
    });
  }

  /**
   * The person types the pairing code the worker published into the phone `phoneNumber`. As
   * WhatsApp does: the phone unwraps the companion's ephemeral key with the code, answers with its
   * own (wrapped the same way) and its identity key; the socket sends back its identity in a
   * bundle only the code's holder can open; both derive the ADV secret; then pair-success and 515.
   * A wrong code leaves the socket unable to finish (as on WhatsApp): nothing links.
   */
  async enterPairingCode(
    code: string,
    phoneNumber: string,
    /** WhatsApp sends companion_reg_refresh between companion_finish and pair-success. */
    options: { refreshMidFlow?: boolean } = {},
  ): Promise<void> {
    const connection = [...this.connections].find((c) => c.linkCode?.phone === phoneNumber);
    if (!connection?.linkCode) throw new Error(`no socket asked for a pairing code for ${phoneNumber}`);
    const { wrappedCompanionEphemeral } = connection.linkCode;
    connection.linkCode = undefined;
    const unwrap = async (wrapped: Buffer) =>
      B.aesDecryptCTR(
        wrapped.subarray(48, 80),
        await B.derivePairingCodeKey(code, wrapped.subarray(0, 32)),
        wrapped.subarray(32, 48),
      );
    const wrap = async (key: Uint8Array) => {
      const salt = randomBytes(32);
      const iv = randomBytes(16);
      return Buffer.concat([salt, iv, B.aesEncryptCTR(key, await B.derivePairingCodeKey(code, salt), iv)]);
    };
    const account = this.accountOf(phoneNumber);
    const companionEphemeral = await unwrap(wrappedCompanionEphemeral);
    const primaryEphemeral = B.Curve.generateKeyPair();
    const ref = randomBytes(16).toString("hex");
    const finishId = new Promise<BinaryNode>((resolve) => this.linkCodeFinishes.set(ref, resolve));
    connection.send({
      tag: "notification",
      attrs: { id: this.stanzaId(), type: "link_code_companion_reg", from: SERVER },
      content: [
        {
          tag: "link_code_companion_reg",
          attrs: {},
          content: [
            { tag: "link_code_pairing_ref", attrs: {}, content: Buffer.from(ref) },
            { tag: "primary_identity_pub", attrs: {}, content: account.accountKey.public },
            {
              tag: "link_code_pairing_wrapped_primary_ephemeral_pub",
              attrs: {},
              content: await wrap(primaryEphemeral.public),
            },
          ],
        },
      ],
    });
    const finish = await finishId;
    const reg = B.getBinaryNodeChild(finish, "link_code_companion_reg")!;
    const bundle = B.getBinaryNodeChildBuffer(reg, "link_code_pairing_wrapped_key_bundle")!;
    const companionShared = B.Curve.sharedKey(primaryEphemeral.private, companionEphemeral);
    const bundleKey = B.hkdf(companionShared, 32, {
      salt: bundle.subarray(0, 32),
      info: "link_code_pairing_key_bundle_encryption_key",
    });
    const opened = B.aesDecryptGCM(bundle.subarray(44), bundleKey, bundle.subarray(32, 44), Buffer.alloc(0));
    const companionIdentity = opened.subarray(0, 32);
    const identityShared = B.Curve.sharedKey(account.accountKey.private, companionIdentity);
    const advSecret = B.hkdf(Buffer.concat([companionShared, identityShared, opened.subarray(64, 96)]), 32, {
      info: "adv_secret",
    });
    connection.send({ tag: "iq", attrs: { id: finish.attrs.id!, type: "result", from: SERVER } });
    if (options.refreshMidFlow) this.sendRegRefresh(connection);
    this.pairSuccess(connection, account, companionIdentity, Buffer.from(advSecret));
  }

  /** Links a new companion device of `account` for the socket: pair-success, then (once signed) 515. */
  private pairSuccess(connection: EdgeConnection, account: LinkedAccount, identity: Buffer, advSecret: Buffer): void {
    const device = account.nextDevice++;
    const details = B.proto.ADVDeviceIdentity.encode({
      rawId: randomInt(1, 2 ** 31),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex: device,
    }).finish();
    const accountSignature = B.Curve.sign(
      account.accountKey.private,
      Buffer.concat([Buffer.from([6, 0]), details, identity]),
    );
    const signed = B.proto.ADVSignedDeviceIdentity.encode({
      details,
      accountSignatureKey: account.accountKey.public,
      accountSignature,
    }).finish();
    const hmac = B.hmacSign(signed, advSecret);
    const id = this.stanzaId();
    this.replies.set(id, () => {
      account.devices.set(device, { held: [] });
      connection.send({ tag: "stream:error", attrs: { code: "515" } });
    });
    connection.send({
      tag: "iq",
      attrs: { id, type: "set", from: SERVER },
      content: [
        {
          tag: "pair-success",
          attrs: {},
          content: [
            {
              tag: "device-identity",
              attrs: {},
              content: B.proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish(),
            },
            { tag: "platform", attrs: { name: "smbi" } },
            {
              tag: "device",
              attrs: { jid: `${account.user}:${device}@${SERVER}`, lid: `${account.lid}:${device}@lid` },
            },
          ],
        },
      ],
    });
  }

  /**
   * The contact writes to the account: encrypted for each of the account's linked devices, as a
   * phone does when it sends. A device with a socket up gets it at once; WhatsApp holds it for a
   * device without one (or one that never receipts it) and delivers it after that device's next
   * login, marked `offline`.
   */
  async sendFromContact(
    contact: FakeContact,
    accountPhone: string,
    /** The text, or any message (an image, a reaction, an edit, ...) as the contact's phone builds it. */
    text: string | Proto.IMessage,
    /** "lid": from the LID, with the phone number alongside; "lid-only": the number hidden; "pn": from the number. */
    /** `sentAt` (ms): when the contact's phone sent it, if not now (a phone offline for a while sends late). */
    options: { addressing?: "lid" | "lid-only" | "pn"; id?: string; sentAt?: number } = {},
  ): Promise<string> {
    const account = this.accounts.get(accountPhone);
    if (!account) throw new Error(`no linked account ${accountPhone}`);
    // The contact wrote: a conversation (its privacy token) exists, a timelock does not stop replies.
    account.warm.add(contact.pn);
    const id = options.id ?? `3EB0${randomBytes(8).toString("hex").toUpperCase()}`;
    const addressing = options.addressing ?? "lid";
    // The contact's phone stamps the message when it is sent, not when it is delivered.
    const t = `${Math.floor((options.sentAt ?? Date.now()) / 1000)}`;
    const content: Proto.IMessage = typeof text === "string" ? { conversation: text } : text;
    // The stanza's type, as WhatsApp sets it from the content.
    const stanzaType = content.reactionMessage
      ? "reaction"
      : content.conversation || content.extendedTextMessage || content.protocolMessage || content.editedMessage
        ? "text"
        : "media";
    for (const [device, state] of account.devices) {
      if (!state.bundle) continue;
      const address = `${account.lid}:${device}@lid`;
      const session = await contact.party.repository.validateSession(address);
      if (!session.exists) {
        await contact.party.repository.injectE2ESession({ jid: address, session: sessionOf(state.bundle) });
      }
      const from: Record<string, string> =
        addressing === "lid"
          ? { from: contact.lidJid, sender_pn: contact.pnJid }
          : addressing === "lid-only"
            ? { from: contact.lidJid }
            : { from: contact.pnJid, sender_lid: contact.lidJid };
      const encrypted = async (): Promise<BinaryNode> => {
        const { type, ciphertext } = await contact.party.repository.encryptMessage({
          jid: address,
          data: B.encodeWAMessage(content),
        });
        return {
          tag: "message",
          attrs: { ...from, id, type: stanzaType, t, notify: contact.name },
          content: [{ tag: "enc", attrs: { v: "2", type }, content: ciphertext }],
        };
      };
      (state.resend ??= new Map()).set(id, encrypted);
      this.deliver(account.user, device, await encrypted());
    }
    return id;
  }

  /**
   * The contact sends a file (a photo, a voice note, a document, ...): its phone encrypts it,
   * uploads it to the media host and sends the message naming it, as `sendFromContact` does.
   */
  async sendMediaFromContact(
    contact: FakeContact,
    accountPhone: string,
    media: PhoneMedia,
    /** `cdn`: the uploaded file has already `expired` on WhatsApp's CDN (404), or its next download `fails-once` (503). */
    options: Parameters<FakeWhatsApp["sendFromContact"]>[3] & { cdn?: "expired" | "fails-once" } = {},
  ): Promise<{ id: string; directPath: string }> {
    const { message, file } = await uploadFromPhone(B, this.media, media);
    if (options.cdn === "expired") this.media.expire(file.directPath);
    if (options.cdn === "fails-once") this.media.failNext(file.directPath, 1);
    const id = await this.sendFromContact(contact, accountPhone, message, options);
    this.phoneFiles.set(id, file);
    return { id, directPath: file.directPath };
  }

  /**
   * Staff type a message to `contact` on the account's phone itself: the phone sends it to the
   * contact and a copy to each linked device, as WhatsApp does (a `deviceSentMessage` from the
   * phone's device 0, `recipient` the contact's LID and `peer_recipient_pn` its number).
   */
  async typeOnPhone(accountPhone: string, contact: FakeContact, text: string): Promise<string> {
    const account = this.accounts.get(accountPhone);
    if (!account) throw new Error(`no linked account ${accountPhone}`);
    account.phone ??= await signalParty();
    const id = `3EB0${randomBytes(8).toString("hex").toUpperCase()}`;
    const t = `${Math.floor(Date.now() / 1000)}`;
    for (const [device, state] of account.devices) {
      if (!state.bundle) continue;
      const address = `${account.lid}:${device}@lid`;
      if (!(await account.phone.repository.validateSession(address)).exists) {
        await account.phone.repository.injectE2ESession({ jid: address, session: sessionOf(state.bundle) });
      }
      const { type, ciphertext } = await account.phone.repository.encryptMessage({
        jid: address,
        data: B.encodeWAMessage({
          deviceSentMessage: { destinationJid: contact.lidJid, message: { conversation: text } },
        }),
      });
      this.deliver(account.user, device, {
        tag: "message",
        attrs: {
          from: `${account.lid}:0@lid`,
          recipient: contact.lidJid,
          peer_recipient_pn: contact.pnJid,
          id,
          type: "text",
          t,
        },
        content: [{ tag: "enc", attrs: { v: "2", type }, content: ciphertext }],
      });
    }
    return id;
  }

  /** Stanzas WhatsApp holds for the account's devices: not yet receipted by any socket. */
  heldFor(accountPhone: string): number {
    const account = this.accounts.get(accountPhone);
    return [...(account?.devices.values() ?? [])].reduce((n, d) => n + d.held.length, 0);
  }

  /** Whether a socket of the account is logged in now. */
  online(accountPhone: string): boolean {
    return this.connectionsOf(accountPhone).some((c) => c.ws.readyState === c.ws.OPEN);
  }

  /** Queues a stanza for a device until it receipts it; sent now if the device is live. */
  private deliver(user: string, device: number, stanza: BinaryNode): void {
    const state = this.accounts.get(user)?.devices.get(device);
    if (!state) return;
    state.held.push(stanza);
    const connection = this.connectionOf(user, device);
    if (connection?.live) connection.send(stanza);
  }

  /**
   * Right after login, what WhatsApp held for the device: `<ib><offline_preview>` with the count,
   * the client asks for a batch (`<ib><offline_batch count>`), each held stanza with the `offline`
   * attribute, then `<ib><offline count>` (Baileys flushes its initial event buffer on it). With
   * nothing held, only `<ib><offline count="0"/>`. The attribute's presence is what marks a
   * stanza offline (whatsapp-rust: "the value can be 0, true or other"); WhatsApp sends "0".
   */
  private async deliverHeld(connection: EdgeConnection, state: DeviceState): Promise<void> {
    const held = [...state.held];
    if (held.length > 0) {
      const batch = new Promise<number>((resolve) => (connection.onOfflineBatch = resolve));
      connection.send({
        tag: "ib",
        attrs: { from: SERVER },
        content: [
          {
            tag: "offline_preview",
            attrs: { count: `${held.length}`, message: `${held.length}`, notification: "0", receipt: "0", call: "0" },
          },
        ],
      });
      await batch;
      // Only what is still held: the client may have receipted some in the meantime (it never
      // has here, but the server sends what it holds when it sends).
      for (const stanza of held) {
        if (!state.held.includes(stanza)) continue;
        connection.send({ ...stanza, attrs: { ...stanza.attrs, offline: "0" } });
        this.offlineDelivered++;
      }
    }
    connection.send({
      tag: "ib",
      attrs: { from: SERVER },
      content: [{ tag: "offline", attrs: { count: `${held.length}` } }],
    });
    connection.live = true;
    // What arrived while the held ones went out follows them, live.
    for (const stanza of state.held) if (!held.includes(stanza)) connection.send(stanza);
  }

  /** The contact's phone reports a message it received as delivered or read. */
  sendReceipt(contact: FakeContact, accountPhone: string, messageId: string, kind: "delivered" | "read"): void {
    const message = contact.received.find((m) => m.id === messageId);
    if (!message) throw new Error(`contact ${contact.pn} never received ${messageId}`);
    for (const connection of this.connectionsOf(accountPhone)) {
      connection.send({
        tag: "receipt",
        attrs: {
          id: messageId,
          from: message.to,
          t: `${Math.floor(Date.now() / 1000)}`,
          ...(kind === "read" ? { type: "read" } : {}),
        },
      });
    }
  }

  /**
   * The contact's phone could not decrypt `messageId` and asks for it again (a retry receipt):
   * the socket must re-encrypt the same message, which it only can if it still has its content.
   */
  requestResend(
    contact: FakeContact,
    accountPhone: string,
    messageId: string,
    /** The JID asking: `contact`'s other form (its LID), or another chat asking for `contact`'s message by id. */
    options: { from?: string } = {},
  ): void {
    const message = contact.received.find((m) => m.id === messageId);
    if (!message) throw new Error(`contact ${contact.pn} never received ${messageId}`);
    const t = `${Math.floor(Date.now() / 1000)}`;
    const from = options.from ?? message.to;
    for (const connection of this.connectionsOf(accountPhone)) {
      connection.send({
        tag: "receipt",
        attrs: { id: messageId, from, type: "retry", t },
        content: [{ tag: "retry", attrs: { count: "1", id: messageId, t, v: "1" } }],
      });
    }
  }

  /** Message ids whose next receipt is lost: the connection drops as it arrives. */
  private readonly receiptsToLose = new Set<string>();

  /**
   * The device's next receipt for `messageId` is lost with its connection (a network cut as it
   * leaves): WhatsApp still holds the message, and delivers it again after the next login.
   */
  loseReceipt(messageId: string): void {
    this.receiptsToLose.add(messageId);
  }

  /**
   * Messages to this contact (or linked account, by phone number) are acknowledged (default),
   * rejected with an error code (e.g. 463) or dropped without a word.
   */
  setPolicy(contact: FakeContact | string, policy: ContactPolicy): void {
    this.policies.set(typeof contact === "string" ? contact : contact.pn, policy);
  }

  /** WhatsApp sends the account's sockets a stanza as it is (a notification type of tomorrow, say). */
  sendStanza(accountPhone: string, node: BinaryNode): void {
    for (const connection of this.connectionsOf(accountPhone)) connection.send(node);
  }

  /**
   * WhatsApp locks the account's reach to new people until `untilMs` (a reach-out timelock, as
   * Baileys #2441 and whatsmeow #1197 show it): its linked sockets are told by a mex notification,
   * the timelock query answers it, and a message to a contact it has no conversation with is
   * refused with a 463 ack, while its existing conversations go on.
   */
  timelock(accountPhone: string, untilMs: number, options: { enforcement?: string; notify?: boolean } = {}): void {
    const account = this.accountOf(accountPhone);
    account.timelock = { untilMs, enforcement: options.enforcement ?? "RESTRICT_ALL_COMPANIONS" };
    // `notify: false`: the push never reaches the socket (it was down, or the stanza was lost).
    if (options.notify !== false) this.notifyTimelock(accountPhone);
  }

  /** WhatsApp lifts the account's timelock before its end, and tells its sockets. */
  liftTimelock(accountPhone: string): void {
    delete this.accountOf(accountPhone).timelock;
    this.notifyTimelock(accountPhone);
  }

  /** The account's new-chat quota, as a business account has one. */
  setNewChatQuota(accountPhone: string, quota: { total: number; used: number; cycleEndsMs: number }): void {
    this.accountOf(accountPhone).quota = quota;
  }

  /** How many of the account's messages to new contacts WhatsApp refused with 463. */
  refused463(accountPhone: string): number {
    return this.accounts.get(accountPhone)?.refused463 ?? 0;
  }

  private timelockState(account: LinkedAccount) {
    const lock = account.timelock && account.timelock.untilMs > Date.now() ? account.timelock : undefined;
    return {
      is_active: lock !== undefined,
      time_enforcement_ends: lock ? `${Math.floor(lock.untilMs / 1000)}` : "0",
      enforcement_type: lock?.enforcement ?? "DEFAULT",
    };
  }

  private notifyTimelock(accountPhone: string): void {
    const data = { xwa2_notify_account_reachout_timelock: this.timelockState(this.accountOf(accountPhone)) };
    this.sendStanza(accountPhone, {
      tag: "notification",
      attrs: { id: this.stanzaId(), type: "mex", from: SERVER, t: `${Math.floor(Date.now() / 1000)}` },
      content: [
        {
          tag: "update",
          attrs: { op_name: "NotificationUserReachoutTimelockUpdate" },
          content: Buffer.from(JSON.stringify({ data })),
        },
      ],
    });
  }

  /** Ends every socket of the account with a stream error carrying `code` (440, 401, 500, ...). */
  streamError(accountPhone: string, code: number): void {
    for (const connection of this.connectionsOf(accountPhone)) {
      connection.send({ tag: "stream:error", attrs: { code: `${code}` } });
    }
  }

  /** The phone unlinks every companion device: the next login fails with 401. */
  unlinkAll(accountPhone: string): void {
    this.accounts.get(accountPhone)?.devices.clear();
    this.streamError(accountPhone, 401);
  }

  linkedDevices(accountPhone: string): number {
    return this.accounts.get(accountPhone)?.devices.size ?? 0;
  }

  // --- the wire ---

  private accept(ws: WebSocket): void {
    const connection = new EdgeConnection(ws, this.certificate);
    this.connections.add(connection);
    ws.on("close", () => this.connections.delete(connection));
    ws.on("message", (data: Buffer) => {
      try {
        for (const frame of connection.noise.frames(data)) this.onFrame(connection, frame);
      } catch (error) {
        this.log.push(`frame error: ${(error as Error).message}`);
        ws.terminate();
      }
    });
  }

  private onFrame(connection: EdgeConnection, frame: Buffer): void {
    switch (connection.stage) {
      case "hello": {
        const { reply, ephemeral } = connection.noise.serverHello(frame);
        connection.ephemeral = ephemeral;
        connection.stage = "finish";
        connection.ws.send(reply);
        return;
      }
      case "finish": {
        const payload = connection.noise.clientFinish(frame, connection.ephemeral!);
        connection.stage = "open";
        this.onLogin(connection, payload);
        return;
      }
      case "open":
        void B.decodeBinaryNode(frame)
          .then((node) => this.onNode(connection, node))
          .catch((error: Error) => this.log.push(`node error: ${error.stack}`));
    }
  }

  private onLogin(connection: EdgeConnection, payload: Proto.ClientPayload): void {
    if (payload.devicePairingData) {
      const refs = Array.from({ length: QR_REFS }, () => randomBytes(12).toString("base64"));
      connection.pairing = { refs };
      connection.send({
        tag: "iq",
        attrs: { id: this.stanzaId(), type: "set", from: SERVER, xmlns: "md" },
        content: [
          {
            tag: "pair-device",
            attrs: {},
            content: refs.map((ref) => ({ tag: "ref", attrs: {}, content: Buffer.from(ref) })),
          },
        ],
      });
      return;
    }
    const user = `${payload.username}`;
    const device = payload.device ?? 0;
    const account = this.accounts.get(user);
    if (!account?.devices.has(device)) {
      connection.send({ tag: "failure", attrs: { reason: "401", location: "fake" } });
      return;
    }
    // A second socket for the same device takes the session: the first one hears 440.
    for (const other of this.connectionsOfDevice(user, device)) {
      other.send({ tag: "stream:error", attrs: {}, content: [{ tag: "conflict", attrs: { type: "replaced" } }] });
    }
    connection.device = { user, device };
    connection.send({
      tag: "success",
      attrs: {
        t: `${Math.floor(Date.now() / 1000)}`,
        lid: `${account.lid}:${device}@lid`,
        props: "1",
        abprops: "1",
        location: "fake",
      },
    });
    const state = account.devices.get(device)!;
    void this.deliverHeld(connection, state).catch((error: Error) => this.log.push(`offline error: ${error.stack}`));
  }

  private onNode(connection: EdgeConnection, node: BinaryNode): void {
    if (node.tag === "iq" && (node.attrs.type === "result" || node.attrs.type === "error")) {
      const then = this.replies.get(node.attrs.id ?? "");
      this.replies.delete(node.attrs.id ?? "");
      then?.();
      return;
    }
    if (node.tag === "iq") {
      this.onQuery(connection, node);
      return;
    }
    if (node.tag === "message") {
      void this.onMessage(connection, node).catch((error: Error) => this.log.push(`message error: ${error.stack}`));
      return;
    }
    if (node.tag === "ack" && node.attrs.class === "notification") {
      this.notificationAcks.add(node.attrs.id ?? "");
      return;
    }
    if (node.tag === "receipt" && node.attrs.type === "server-error") {
      // A media retry: the receiver could not download the file; the sender's phone uploads it again.
      const file = this.phoneFiles.get(node.attrs.id ?? "");
      this.log.push(`media retry for ${node.attrs.id}: ${file ? "uploaded again" : "no such file"}`);
      if (file) connection.send(mediaRetryNotification(B, this.media, file, node, SERVER));
      return;
    }
    if (node.tag === "receipt" && node.attrs.type === "retry") {
      this.log.push(`retry receipt for ${node.attrs.id}: the worker could not decrypt`);
      // The contact's phone encrypts the message again and sends it under the same id.
      const state = this.deviceState(connection);
      const resend = state?.resend?.get(node.attrs.id ?? "");
      if (state && resend && connection.device) {
        const { user, device } = connection.device;
        void resend().then(
          (stanza) => {
            state.held = state.held.filter((s) => s.attrs.id !== stanza.attrs.id);
            this.deliver(user, device, stanza);
          },
          (error: Error) => this.log.push(`resend error: ${error.stack}`),
        );
      }
      return;
    }
    if (node.tag === "receipt" || (node.tag === "ack" && node.attrs.class === "message")) {
      // The device has the message: WhatsApp stops holding it.
      const list = B.getBinaryNodeChild(node, "list");
      const ids = new Set([node.attrs.id, ...B.getBinaryNodeChildren(list, "item").map((i) => i.attrs.id)]);
      const lost = [...ids].filter((id) => id !== undefined && this.receiptsToLose.delete(id));
      if (lost.length > 0) {
        this.log.push(`receipt for ${lost.join(", ")} lost: the connection dropped`);
        connection.ws.terminate();
        return;
      }
      const now = Date.now();
      for (const id of ids) {
        if (!id || this.receiptedAt.has(id)) continue;
        this.receiptedAt.set(id, now);
        this.receipts.emit("receipt", id);
      }
      const state = this.deviceState(connection);
      if (state) state.held = state.held.filter((stanza) => !ids.has(stanza.attrs.id));
    }
    if (node.tag === "ib") {
      const batch = B.getBinaryNodeChild(node, "offline_batch");
      if (batch) connection.onOfflineBatch?.(Number(batch.attrs.count ?? 0));
    }
  }

  private onQuery(connection: EdgeConnection, iq: BinaryNode): void {
    const result = (content?: BinaryNode[]): void =>
      connection.send({
        tag: "iq",
        attrs: { id: iq.attrs.id!, type: "result", from: SERVER },
        ...(content ? { content } : {}),
      });
    const child = Array.isArray(iq.content) ? iq.content[0] : undefined;
    const xmlns = iq.attrs.xmlns;
    if (xmlns === "encrypt" && iq.attrs.type === "set" && B.getBinaryNodeChild(iq, "registration")) {
      const state = this.deviceState(connection);
      const bundle = bundleOf(iq);
      if (state)
        state.bundle = state.bundle ? { ...bundle, preKeys: [...state.bundle.preKeys, ...bundle.preKeys] } : bundle;
      return result();
    }
    if (xmlns === "encrypt" && child?.tag === "count") {
      return result([
        { tag: "count", attrs: { value: `${this.deviceState(connection)?.bundle?.preKeys.length ?? 0}` } },
      ]);
    }
    if (xmlns === "encrypt" && child?.tag === "digest") return result([{ tag: "digest", attrs: {} }]);
    if (xmlns === "encrypt" && child?.tag === "key") {
      if (this.namesSilentContact(child)) return;
      const users = B.getBinaryNodeChildren(child, "user").map((user) => this.bundleNode(user.attrs.jid!));
      return result([{ tag: "list", attrs: {}, content: users }]);
    }
    if (xmlns === "usync") {
      if (this.namesSilentContact(child!)) return (this.log.push(`usync ${iq.attrs.id} left unanswered`), undefined);
      return result([this.usync(child!)]);
    }
    if (xmlns === "md" && child?.tag === "link_code_companion_reg") {
      if (child.attrs.stage === "companion_hello") {
        const wrapped = B.getBinaryNodeChildBuffer(child, "link_code_pairing_wrapped_companion_ephemeral_pub");
        const phone = B.jidDecode(child.attrs.jid)?.user;
        if (wrapped && phone) connection.linkCode = { phone, wrappedCompanionEphemeral: Buffer.from(wrapped) };
        return result();
      }
      if (child.attrs.stage === "companion_finish") {
        const ref = B.getBinaryNodeChildBuffer(child, "link_code_pairing_ref");
        const finish = this.linkCodeFinishes.get(Buffer.from(ref ?? []).toString());
        this.linkCodeFinishes.delete(Buffer.from(ref ?? []).toString());
        return finish ? finish(iq) : result();
      }
    }
    if (xmlns === "w:m" && child?.tag === "media_conn") {
      // Where to upload media, and the upload auth (valid for `ttl` seconds).
      return result([
        {
          tag: "media_conn",
          attrs: { auth: this.media.auth, ttl: "3600", auth_ttl: "21600", max_buckets: "12" },
          content: [{ tag: "host", attrs: { hostname: this.media.hostname, maxContentLengthBytes: "104857600" } }],
        },
      ]);
    }
    if (xmlns === "w:mex" && child?.tag === "query" && connection.device) {
      const account = this.accounts.get(connection.device.user)!;
      const answer = (json: unknown) =>
        result([{ tag: "result", attrs: {}, content: Buffer.from(JSON.stringify(json)) }]);
      if (child.attrs.query_id === MEX.reachoutTimelock.queryId) {
        return answer({ data: { [MEX.reachoutTimelock.path]: this.timelockState(account) } });
      }
      if (child.attrs.query_id === MEX.newChatCap.queryId) {
        const quota = account.quota;
        if (!quota) return answer({ errors: [{ message: "not eligible", extensions: { error_code: 400 } }] });
        return answer({
          data: {
            [MEX.newChatCap.path]: {
              total_quota: quota.total,
              used_quota: quota.used,
              cycle_end_timestamp: `${Math.floor(quota.cycleEndsMs / 1000)}`,
              capping_status: quota.used >= quota.total ? "CAPPED" : "NONE",
            },
          },
        });
      }
    }
    if (xmlns === "md" && child?.tag === "remove-companion-device" && connection.device) {
      this.accounts.get(connection.device.user)?.devices.delete(connection.device.device);
      return result();
    }
    result();
  }

  /** A query naming a contact whose policy is "silent" (by JID or by phone number). */
  private namesSilentContact(node: BinaryNode): boolean {
    const users = B.getBinaryNodeChildren(B.getBinaryNodeChild(node, "list") ?? node, "user");
    return users.some((user) => {
      const phone = B.getBinaryNodeChild(user, "contact")?.content?.toString().replace("+", "");
      const id = user.attrs.jid ? B.jidDecode(user.attrs.jid)?.user : phone;
      const contact = id ? this.contacts.get(id) : undefined;
      return contact !== undefined && this.policies.get(contact.pn)?.kind === "silent";
    });
  }

  private usync(usync: BinaryNode): BinaryNode {
    const query = B.getBinaryNodeChild(usync, "query");
    const protocols = new Set(Array.isArray(query?.content) ? query.content.map((p) => p.tag) : []);
    const users = B.getBinaryNodeChildren(B.getBinaryNodeChild(usync, "list"), "user").map((user): BinaryNode => {
      const phone = B.getBinaryNodeChild(user, "contact")?.content?.toString().replace("+", "");
      const jid = user.attrs.jid ?? `${phone}@${SERVER}`;
      const { user: id, server } = B.jidDecode(jid)!;
      const contact = this.contacts.get(id);
      const account = this.accountByAnyId(id);
      const content: BinaryNode[] = [];
      if (protocols.has("contact"))
        content.push({ tag: "contact", attrs: { type: contact || account ? "in" : "out" } });
      if (protocols.has("devices")) {
        const devices = contact
          ? [{ tag: "device", attrs: { id: "0" } }]
          : [...(account?.devices.keys() ?? [])].map((d) => ({
              tag: "device",
              attrs: { id: `${d}`, "key-index": `${d}` },
            }));
        content.push({ tag: "devices", attrs: {}, content: [{ tag: "device-list", attrs: {}, content: devices }] });
      }
      if (protocols.has("lid") && server === SERVER && (contact || account)) {
        content.push({ tag: "lid", attrs: { val: `${contact?.lid ?? account!.lid}@lid` } });
      }
      return { tag: "user", attrs: { jid }, content };
    });
    return { tag: "usync", attrs: {}, content: [{ tag: "list", attrs: {}, content: users }] };
  }

  /** The bundle of a contact (device 0) or of an account's companion device, one pre-key used up. */
  private bundleNode(jid: string): BinaryNode {
    const { user, device } = B.jidDecode(jid)!;
    const bundle = this.contacts.get(user)?.bundle ?? this.accountByAnyId(user)?.devices.get(device ?? 0)?.bundle;
    if (!bundle)
      return {
        tag: "user",
        attrs: { jid },
        content: [{ tag: "error", attrs: { code: "404", text: "item-not-found" } }],
      };
    const preKey = bundle.preKeys.shift();
    return {
      tag: "user",
      attrs: { jid },
      content: [bundle.registration, bundle.type, bundle.identity, ...(preKey ? [preKey] : []), bundle.signedPreKey],
    };
  }

  private async onMessage(connection: EdgeConnection, stanza: BinaryNode): Promise<void> {
    const to = stanza.attrs.to!;
    const contact = this.contacts.get(B.jidDecode(to)!.user);
    const peer = contact ? undefined : this.accountByAnyId(B.jidDecode(to)!.user);
    const policy = this.policies.get(contact?.pn ?? peer?.user ?? "") ?? { kind: "ack" as const };
    const ack = (extra: Record<string, string> = {}): void =>
      connection.send({
        tag: "ack",
        attrs: { class: "message", id: stanza.attrs.id!, from: to, t: `${Math.floor(Date.now() / 1000)}`, ...extra },
      });
    if ((!contact && !peer) || !connection.device) return ack({ error: "404" });
    if (policy.kind === "silent") return;
    if (policy.kind === "error") return ack({ error: `${policy.code}` });
    if (peer) return this.relay(connection, stanza, peer, ack);
    if (!contact) return;
    const account = this.accounts.get(connection.device.user)!;
    if (this.timelockState(account).is_active && !account.warm.has(contact.pn)) {
      account.refused463++;
      return ack({ error: "463" });
    }
    account.warm.add(contact.pn);
    const sender = `${account.lid}:${connection.device.device}@lid`;
    const participants = B.getBinaryNodeChild(stanza, "participants");
    const encs = participants
      ? B.getBinaryNodeChildren(participants, "to")
          .filter(
            (t) => B.jidDecode(t.attrs.jid!)!.user === contact.pn || B.jidDecode(t.attrs.jid!)!.user === contact.lid,
          )
          .map((t) => B.getBinaryNodeChild(t, "enc")!)
      : B.getBinaryNodeChildren(stanza, "enc");
    ack();
    contact.events.emit("accepted", stanza.attrs.id!);
    const accountPhone = connection.device.user;
    await contact.inArrivalOrder(async () => {
      for (const enc of encs) {
        const plaintext = await contact.party.repository.decryptMessage({
          jid: sender,
          type: enc.attrs.type as "pkmsg" | "msg",
          ciphertext: enc.content as Uint8Array,
        });
        const message = B.proto.Message.decode(B.unpadRandomMax16(plaintext));
        const media = await receivedMediaOf(B, this.media, message);
        const received: ContactMessage = {
          id: stanza.attrs.id!,
          text: message.conversation ?? message.extendedTextMessage?.text ?? undefined,
          ...(media ? { media } : {}),
          to,
          at: Date.now(),
        };
        contact.received.push(received);
        contact.events.emit("message", received);
        if (this.deliveredAfterMs !== null) {
          setTimeout(() => this.sendReceipt(contact, accountPhone, received.id, "delivered"), this.deliveredAfterMs);
        }
      }
    });
  }

  /**
   * One linked account writes to another (the canary's two numbers, both linked to the gateway):
   * WhatsApp passes each `enc` addressed to the peer's devices on as it came, from the sending
   * companion device (`from` with its device, as WhatsApp marks a message from a companion), and
   * holds it for a device without a socket. The copies for the sender's own devices are dropped.
   */
  private relay(connection: EdgeConnection, stanza: BinaryNode, peer: LinkedAccount, ack: () => void): void {
    const sender = this.accounts.get(connection.device!.user)!;
    const device = connection.device!.device;
    ack();
    const participants = B.getBinaryNodeChild(stanza, "participants");
    for (const to of participants ? B.getBinaryNodeChildren(participants, "to") : []) {
      const target = B.jidDecode(to.attrs.jid!)!;
      if (target.user !== peer.user && target.user !== peer.lid) continue;
      const enc = B.getBinaryNodeChild(to, "enc");
      if (!enc) continue;
      this.deliver(peer.user, target.device ?? 0, {
        tag: "message",
        attrs: {
          from: `${sender.lid}:${device}@lid`,
          sender_pn: `${sender.user}:${device}@${SERVER}`,
          id: stanza.attrs.id!,
          type: stanza.attrs.type ?? "text",
          t: `${Math.floor(Date.now() / 1000)}`,
          notify: `Account ${sender.user}`,
        },
        content: [enc],
      });
    }
  }

  // --- lookups ---

  private accountOf(phoneNumber: string): LinkedAccount {
    let account = this.accounts.get(phoneNumber);
    if (!account) {
      account = {
        user: phoneNumber,
        lid: `${randomInt(1e13, 9e13)}`,
        accountKey: B.Curve.generateKeyPair(),
        nextDevice: 1,
        devices: new Map(),
        warm: new Set(),
        refused463: 0,
      };
      this.accounts.set(phoneNumber, account);
    }
    return account;
  }

  private accountByAnyId(id: string): LinkedAccount | undefined {
    return this.accounts.get(id) ?? [...this.accounts.values()].find((a) => a.lid === id);
  }

  private deviceState(connection: EdgeConnection): DeviceState | undefined {
    if (!connection.device) return undefined;
    return this.accounts.get(connection.device.user)?.devices.get(connection.device.device);
  }

  private connectionsOf(user: string): EdgeConnection[] {
    return [...this.connections].filter((c) => c.device?.user === user);
  }

  private connectionsOfDevice(user: string, device: number): EdgeConnection[] {
    return this.connectionsOf(user).filter((c) => c.device?.device === device);
  }

  private connectionOf(user: string, device: number): EdgeConnection | undefined {
    return this.connectionsOfDevice(user, device).at(-1);
  }

  private stanzaId(): string {
    return `edge-${this.nextId++}`;
  }
}

function bundleOf(node: BinaryNode): KeyBundle {
  const child = (tag: string): BinaryNode => {
    const found = B.getBinaryNodeChild(node, tag);
    if (!found) throw new Error(`pre-key upload without <${tag}>`);
    return found;
  };
  return {
    registration: child("registration"),
    type: child("type"),
    identity: child("identity"),
    signedPreKey: child("skey"),
    preKeys: B.getBinaryNodeChildren(child("list"), "key"),
  };
}

/** The session a contact starts with an account device, from that device's uploaded bundle. */
function sessionOf(bundle: KeyBundle) {
  const bytes = (node: BinaryNode | undefined, tag: string): Uint8Array =>
    B.getBinaryNodeChild(node, tag)!.content as Uint8Array;
  const uint = (data: Uint8Array): number => data.reduce((value, byte) => value * 256 + byte, 0);
  const withType = (key: Uint8Array): Uint8Array => (key.length === 33 ? key : Buffer.concat([Buffer.from([5]), key]));
  const preKey = bundle.preKeys.shift();
  return {
    registrationId: uint(bundle.registration.content as Uint8Array),
    identityKey: withType(bundle.identity.content as Uint8Array),
    signedPreKey: {
      keyId: uint(bytes(bundle.signedPreKey, "id")),
      publicKey: withType(bytes(bundle.signedPreKey, "value")),
      signature: bytes(bundle.signedPreKey, "signature"),
    },
    preKey: preKey ? { keyId: uint(bytes(preKey, "id")), publicKey: withType(bytes(preKey, "value")) } : undefined,
  };
}
