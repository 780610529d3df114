import { z } from "zod";
import { timestamp } from "./common";

export const OUTBOX_STATUSES = ["queued", "processing", "sent", "failed"] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** `outbox/{requestId}`: written only by the send callable (create) and the worker. */
export const outboxDocument = z.object({
  status: z.enum(OUTBOX_STATUSES),
  uid: z.string(),
  clientMessageId: z.string(),
  threadId: z.string(),
  accountId: z.string(),
  toJid: z.string(),
  text: z.string(),
  /** Chosen before the first attempt so every retry re-sends under the same WhatsApp id. */
  providerMessageId: z.string(),
  claimedBy: z.string().nullable(),
  leaseUntil: timestamp.nullable(),
  leaseEpoch: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: timestamp,
  lastError: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  sentAt: timestamp.nullable(),
  /** Set once the entry is final, for TTL clean-up of finished entries. */
  expireAt: timestamp.nullable(),
});
export type OutboxDocument = z.infer<typeof outboxDocument>;
