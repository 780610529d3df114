/**
 * One WhatsApp account's connection, as the worker sees it. Shaped after Baileys
 * (`makeWASocket`, `connection.update`, `messages.upsert`, `messages.update`,
 * `sendMessage(jid, { text }, { messageId })`, `logout()`, `end()`), so the Baileys
 * implementation maps onto it one call to one call, and the simulated one stands in for it.
 */

export type ConnectionUpdate =
  | { state: "connecting" }
  | { state: "qr"; qr: string; expiresAt: Date }
  | { state: "pairing_code"; code: string; expiresAt: Date }
  | { state: "open"; meJid: string }
  /** `code` mirrors Baileys' DisconnectReason (401 logged out, 408, 428, 440, 500, 515, ...). */
  | { state: "close"; code: number | undefined; reason: string };

export interface InboundMessage {
  /** WhatsApp's id of the message (key.id). */
  messageId: string;
  fromJid: string;
  text: string;
  timestamp: Date;
}

export interface Receipt {
  /** The id the message was sent under: our providerMessageId. */
  messageId: string;
  status: "delivered" | "read";
}

export interface SocketHandlers {
  connection(update: ConnectionUpdate): void;
  message(message: InboundMessage): void;
  receipt(receipt: Receipt): void;
}

/** Session material (Baileys: creds and signal keys). Only the account's lease holder writes it. */
export interface SessionStore {
  read(): Promise<Record<string, unknown> | undefined>;
  write(data: Record<string, unknown>): Promise<void>;
  /** Deletes it, only while this worker holds the account lease ("lost": it does not; nothing deleted). */
  clear(): Promise<"written" | "lost" | "missing">;
}

export interface AccountSocket {
  /** Sends under a caller-chosen id, so a retry is recognised by WhatsApp as the same message. */
  send(toJid: string, text: string, messageId: string): Promise<void>;
  /** Unlinks this device from the phone and ends the socket. */
  logout(): Promise<void>;
  /** Ends the socket, keeping the session for the next connect. */
  close(): Promise<void>;
}

export interface Transport {
  readonly name: "baileys" | "simulated";
  connect(
    accountId: string,
    options: { phoneNumber: string | null; session: SessionStore; handlers: SocketHandlers },
  ): AccountSocket;
}

/** A send that did not go out; `permanent` ones are not retried (e.g. the number is not on WhatsApp). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "SendError";
  }
}
