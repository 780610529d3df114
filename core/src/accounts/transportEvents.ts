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

export interface InboundMessage {
  /** WhatsApp's id of the message (key.id). */
  messageId: string;
  fromJid: string;
  /** The message text, or a caption (or "") for other kinds. */
  text: string;
  /** "text", or the kind of a message stored as a placeholder ("image", "audio", "sticker", ...). */
  kind?: string;
  timestamp: Date;
}

export type Receipt =
  /** `messageId` is the id the message was sent under: our providerMessageId. */
  | { messageId: string; status: "delivered" | "read" }
  /** WhatsApp refused the message after taking it (an ERROR ack, e.g. 463): not retried. */
  | { messageId: string; status: "failed"; code: number | undefined };
