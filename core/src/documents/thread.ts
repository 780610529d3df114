import { z } from "zod";
import { timestamp } from "./common";

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

export const threadMessageDocument = z.object({
  direction: z.enum(["in", "out"]),
  text: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  /** Outbound only: the outbox entry that carries it. */
  requestId: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  /** Outbound: the sending user; inbound: null. */
  senderUid: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type ThreadMessageDocument = z.infer<typeof threadMessageDocument>;
