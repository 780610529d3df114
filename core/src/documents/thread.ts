import { z } from "zod";
import { timestamp } from "./common";
import { MEDIA_STATUSES, messageMediaDocument } from "./media";

export const threadDocument = z.object({
  /** null for a thread a peer opened: the first app user to send becomes its owner. */
  ownerUid: z.string().nullable(),
  coWriterUids: z.array(z.string()).default([]),
  accountId: z.string(),
  peerJid: z.string(),
  lastMessageAt: timestamp,
  lastMessagePreview: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ThreadDocument = z.infer<typeof threadDocument>;

/** A thread's `lastMessagePreview`: the first characters of its last message (never half an emoji). */
export function messagePreview(text: string): string {
  return [...text].slice(0, 120).join("");
}

export const MESSAGE_STATUSES = ["queued", "sent", "delivered", "read", "failed"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * What a message is. Media are stored as typed placeholders (their bytes come with the media
 * capability): `text` then holds the caption, or a name (location, contact, poll), or "".
 */
export const MESSAGE_KINDS = [
  "text",
  "image",
  "video",
  "audio",
  "voice",
  "document",
  "sticker",
  "location",
  "contact",
  "poll",
  "unknown",
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

const KIND_LABELS: Record<Exclude<MessageKind, "text">, string> = {
  image: "📷 Photo",
  video: "🎥 Video",
  audio: "🎵 Audio",
  voice: "🎤 Voice message",
  document: "📄 Document",
  sticker: "💟 Sticker",
  location: "📍 Location",
  contact: "👤 Contact",
  poll: "📊 Poll",
  unknown: "Unsupported message",
};

/**
 * A readable preview of a message of any kind, never blank: the text; or the kind's label, with
 * the caption (or name) after it ("📷 Photo", "📷 at the beach"); a deleted one says so.
 */
export function kindPreview(kind: MessageKind, text: string, deleted = false): string {
  if (deleted) return messagePreview("🚫 This message was deleted");
  if (kind === "text") return messagePreview(text);
  const label = KIND_LABELS[kind];
  if (!text) return label;
  return messagePreview(`${[...label][0]} ${text}`);
}

export const threadMessageDocument = z.object({
  direction: z.enum(["in", "out"]),
  text: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  /** Outbound only: the outbox entry that carries it. */
  requestId: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  /** Outbound through the gateway: the sending user; inbound, or typed on the account's phone: null. */
  senderUid: z.string().nullable(),
  /** What the message is; `text` is its text, or a media message's caption. Older documents: text. */
  kind: z.enum(MESSAGE_KINDS).default("text"),
  /** Reactions by reacting party: the contact's JID, or "me" (the account, from its phone), to its emoji. */
  reactions: z.record(z.string(), z.string()).default({}),
  /** Set when the sender edited the message (`text` is the new text). */
  editedAt: timestamp.nullable().default(null),
  /** The sender deleted it for everyone: `text` is cleared. */
  deleted: z.boolean().default(false),
  /** A photo, voice note, document, ...: its file (`text` is the caption). Null for other kinds. */
  media: messageMediaDocument.nullable().default(null),
  /** Where its bytes are (MEDIA_STATUSES); null for a message with no file. */
  mediaStatus: z.enum(MEDIA_STATUSES).nullable().default(null),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ThreadMessageDocument = z.infer<typeof threadMessageDocument>;
