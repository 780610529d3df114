import type { Readable } from "node:stream";
import type { LeaseWrite } from "@wa-gateway/core";
import type { ConnectionUpdate, InboundMedia, InboundMessage, Receipt } from "@wa-gateway/core/accounts";
import type { CloudApiNumber } from "@wa-gateway/core/documents";
import type { TemplateToSend } from "@wa-gateway/core/proxies";
import type { MediaKind } from "@wa-gateway/core/media";
import type { ReachoutLock } from "@wa-gateway/core/outbox";

export type { ConnectionUpdate, InboundMedia, InboundMessage, Receipt };
/** What a message delivered again is known by when it cannot be read. */
export type InboundRef = Pick<InboundMessage, "messageId" | "fromJid" | "fromJidAlt" | "fromMe">;
/** What became of a received message: committed to Firestore, or given up (the worker stopped first). */
export type InboundCommit = "committed" | "not_committed";
/** What became of a receipt: applied to its message (or found no message), `failed` to store, or `stopping` (not taken). */
export type ReceiptCommit = "applied" | "failed" | "stopping";

/**
 * One WhatsApp account's connection, as the worker sees it. Shaped after Baileys
 * (`makeWASocket`, `connection.update`, `messages.upsert`, `messages.update`,
 * `sendMessage(jid, { text }, { messageId })`, `logout()`, `end()`), so the Baileys
 * implementation maps onto it one call to one call, and the simulated one stands in for it.
 */

export interface SocketHandlers {
  connection(update: ConnectionUpdate): void;
  /**
   * A received message; resolves once it is committed (or given up), and only then may the
   * transport tell WhatsApp it was delivered: what is never receipted, WhatsApp delivers again.
   */
  message(message: InboundMessage): Promise<InboundCommit>;
  /**
   * Whether a message delivered again, which cannot be read now (its Signal keys are used), was
   * stored before: then its receipt goes out at once instead of asking the contact to send it again.
   */
  stored?(ref: InboundRef): Promise<boolean>;
  /** Resolves once applied; a transport that can offer it again (the Cloud API's events) waits for it. */
  receipt(receipt: Receipt): Promise<ReceiptCommit>;
  /** WhatsApp's word on the account's timelock or new-chat quota (absent: the transport has none). */
  reachout?(update: ReachoutUpdate): void;
  /** A stanza from WhatsApp that nothing handles (a new notification type, a new tag): counted, reported. */
  unhandled?(stanza: UnhandledStanza): void;
}

/**
 * What WhatsApp says of the account's reach to new contacts: its reach-out timelock (read on
 * connect and after a 463, or pushed when it changes), or its new-chat quota (business accounts).
 */
export type ReachoutUpdate =
  { kind: "lock"; lock: ReachoutLock } | { kind: "quota"; used: number; total: number; cycleEndsMs: number | null };

/** What WhatsApp sent that nothing handles: its kind, its type (a bounded label), its shape (no content). */
export interface UnhandledStanza {
  kind: "notification" | "ib" | "stanza";
  type: string;
  shape: string;
}

/** One commit of session material: creds and/or Signal keys by type and id (null deletes a key). */
export interface SessionChange {
  creds?: Record<string, unknown>;
  keys?: Record<string, Record<string, unknown | null | undefined>>;
}

/**
 * Session material (Baileys: creds and Signal keys, one record per key), fenced by the account
 * lease: only the newest lease holder that opened it can commit. A read error rejects; it never
 * means "no session".
 */
/** A session call after the worker closed its sessions (its shutdown): nothing read or written. */
export class SessionClosed extends Error {
  constructor(accountId: string) {
    super(`account ${accountId}: the session is closed (the worker is stopping); nothing read or written`);
    this.name = "SessionClosed";
  }
}

export interface SessionStore {
  /** Takes the session for this lease epoch; "fenced" if a newer holder already has. */
  open(): Promise<"opened" | "fenced">;
  /** The creds, or undefined when the account was never linked (or its session was deleted). */
  readCreds(): Promise<Record<string, unknown> | undefined>;
  /** The keys of one type that exist among `ids`, values exactly as committed. */
  readKeys(type: string, ids: string[]): Promise<Record<string, unknown>>;
  /** Writes the change, after every earlier commit; rejects (nothing written) once the fence is lost. */
  commit(change: SessionChange): Promise<void>;
  /** Resolves once every commit asked for so far has finished. */
  flushed(): Promise<void>;
  /** Deletes creds and keys, only while this worker holds the account lease ("fenced": it does not). */
  clear(): Promise<LeaseWrite>;
}

/** One of our sends: its exact text and the chat it went to (the outbox entry's `toJid`). */
export interface SentMessage {
  text: string;
  toJid: string;
  /** A file's message as the transport sent it (Baileys: the encoded proto, with its media key), when it had one. */
  media?: string;
}

/** Our own recent sends, for a contact whose phone asks for one again (Baileys' `getMessage`). */
export interface SentMessages {
  /** What was sent under `messageId` by this account, or undefined (unknown, not ours, too old). */
  messageOf(messageId: string): Promise<SentMessage | undefined>;
  /** Keeps a sent file's whole message (it holds the media key: server-only) for `messageOf`. */
  rememberMedia(messageId: string, message: string): Promise<void>;
}

/** What one send carries besides its text. */
export interface SendExtras {
  /** The Cloud API sends it instead of `text` (its body as the customer reads it); any other transport refuses it for good. */
  template?: TemplateToSend;
  /** A file to send; `text` is its caption. */
  media?: OutgoingMedia;
}

/** A file to send, read from the media bucket as it goes out (never a URL or a path handed to Baileys). */
export interface OutgoingMedia {
  kind: MediaKind;
  mimetype: string;
  size: number;
  fileName?: string;
  seconds?: number;
  /** A new stream of its bytes on each call (a retry reads them again). */
  open(): Readable;
}

export interface AccountSocket {
  /** Sends under a caller-chosen id, so a retry is recognised by WhatsApp as the same message. */
  send(toJid: string, text: string, messageId: string, extras?: SendExtras): Promise<void>;
  /**
   * The decrypted bytes of an inbound file, by the `ref` its message carried (InboundMedia).
   * Rejects when they cannot be had now (the socket is down, the CDN refused): tried again later.
   */
  downloadMedia(ref: string): Promise<Readable>;
  /** Unlinks this device from the phone and ends the socket. */
  logout(): Promise<void>;
  /** Ends the socket, keeping the session for the next connect. */
  close(): Promise<void>;
}

export interface Transport {
  readonly name: "baileys" | "simulated";
  connect(
    accountId: string,
    options: {
      phoneNumber: string | null;
      /** Set for an account on Meta's Cloud API: it connects through that transport, whatever this one is. */
      cloudApi: CloudApiNumber | null;
      session: SessionStore;
      sent: SentMessages;
      handlers: SocketHandlers;
    },
  ): AccountSocket;
}

/** A send that did not go out; `permanent` ones are not retried (e.g. the number is not on WhatsApp). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The provider asked to slow down: backed off without costing an attempt. */
    readonly throttled = false,
  ) {
    super(message);
    this.name = "SendError";
  }
}
