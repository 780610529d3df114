import type { MediaKind } from "../media/limits";

/**
 * What a WhatsApp socket reports, whatever speaks to WhatsApp (Baileys, the simulator): the
 * events the account connection state machine (connection.ts), inbound storage and receipts
 * are decided on. Shaped after Baileys' `connection.update`, `messages.upsert` and
 * `messages.update`.
 */

export type ConnectionUpdate =
  | { state: "connecting" }
  | { state: "qr"; qr: string; expiresAt: Date }
  | { state: "pairing_code"; code: string; expiresAt: Date }
  | { state: "open"; meJid: string }
  /** `code` mirrors Baileys' DisconnectReason (401 logged out, 408, 428, 440, 500, 515, ...). */
  | { state: "close"; code: number | undefined; reason: string };

/** A reaction, edit or deletion of an earlier message of the same chat. */
export type InboundChange =
  /** `emoji` "" takes the reaction back. */
  { type: "reaction"; emoji: string } | { type: "edit"; text: string } | { type: "revoke" };

export interface InboundMessage {
  /** WhatsApp's id of the message (key.id), chosen by the sender's client. */
  messageId: string;
  /** The contact the chat is with: its phone-number JID when known, else its LID. */
  fromJid: string;
  /** The same contact's other JID (its LID, or its number), when WhatsApp tells it. */
  fromJidAlt?: string;
  /**
   * Typed on the account's own phone (not sent through the gateway): the message went to
   * `fromJid`, and is stored as outbound with no sender uid.
   */
  fromMe?: boolean;
  /** The message text, or a caption or name (or "") for other kinds. */
  text: string;
  /** What it is (MESSAGE_KINDS: "text", "image", "voice", ...); absent: text. */
  kind?: string;
  /**
   * Not a message of its own but a change to an earlier one, `target` (its WhatsApp id, and
   * whether it is the account's own message); `text` and `kind` are then unused.
   */
  change?: { target: { messageId: string; fromMe: boolean } } & InboundChange;
  /** The file a media message carries: stored with the message as pending, fetched after it. */
  media?: InboundMedia;
  timestamp: Date;
}

/** A file as the sender declared it; its bytes are fetched once the message is stored. */
export interface InboundMedia {
  kind: MediaKind;
  mimetype: string;
  /** Bytes, as declared. */
  size: number;
  /** Hex SHA-256 of the file, as declared: what is stored is checked against it. */
  sha256: string | null;
  fileName?: string;
  seconds?: number;
  width?: number;
  height?: number;
  /** The transport's own reference to fetch it with. Secret (it holds the media key): server-only. */
  ref: string;
}

export type Receipt =
  /** `messageId` is the id the message was sent under: our providerMessageId. */
  | { messageId: string; status: "delivered" | "read" }
  /** WhatsApp refused the message after taking it (an ERROR ack, e.g. 463): not retried. */
  | { messageId: string; status: "failed"; code: number | undefined };
