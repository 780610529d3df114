import { z } from "zod";
import { HELD_REASONS } from "../outbox/reachout";
import { timestamp } from "./common";
import { outboxMediaDocument } from "./media";

export const OUTBOX_STATUSES = ["queued", "processing", "sent", "failed"] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * Why a `failed` entry failed, set with it: `permanent` (WhatsApp refused it for good: not on
 * WhatsApp, blocked, a 463 lock), `account_gone` (removed or logged out past the hold): both never
 * requeued unless an operator insists; `attempts_exhausted`, `gave_up` (its sends crashed or
 * hung every time) and `throttled` (the provider kept refusing to take it for most of a day, e.g.
 * Meta's spam-rate limit) are worth a retry once the cause is fixed. Absent on entries failed before it existed.
 */
export const FAILURE_KINDS = ["permanent", "account_gone", "attempts_exhausted", "gave_up", "throttled"] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];
export const PERMANENT_FAILURES: ReadonlySet<FailureKind> = new Set(["permanent", "account_gone"]);

/** `outbox/{requestId}`: written only by the send callable (create) and the worker. */
export const outboxDocument = z.object({
  status: z.enum(OUTBOX_STATUSES),
  uid: z.string(),
  clientMessageId: z.string(),
  threadId: z.string(),
  accountId: z.string(),
  toJid: z.string(),
  /** A template's body as the customer reads it, parameters filled in, when `template` is set. */
  text: z.string(),
  /** A Cloud API template send (whatsappProxySendTemplate): what Meta is asked to send instead of `text`. Absent: a text. */
  template: z
    .object({ name: z.string(), language: z.string(), parameters: z.array(z.string()) })
    .nullable()
    .optional(),
  /** A photo, voice note, document, ...: the file to send, `text` its caption. Absent: none. */
  media: outboxMediaDocument.nullable().optional(),
  /**
   * The first message to a contact the account never talked to (a new thread with nobody's
   * earlier message): it counts towards the new-contact budget (core/outbox/reachout.ts).
   */
  firstContact: z.boolean().default(false),
  /** Why a queued entry waits past its due time (`nextAttemptAt` says until when); null once claimed. */
  heldReason: z.enum(HELD_REASONS).nullable().default(null),
  /** Chosen before the first attempt so every retry re-sends under the same WhatsApp id. */
  providerMessageId: z.string(),
  claimedBy: z.string().nullable(),
  leaseUntil: timestamp.nullable(),
  leaseEpoch: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  /** Times the provider throttled it (Cloud API 130429, …): backed off, not counted in `attempts`. Absent: none. */
  throttles: z.number().int().nonnegative().optional(),
  nextAttemptAt: timestamp,
  lastError: z.string().nullable(),
  failureKind: z.enum(FAILURE_KINDS).nullable().optional(),
  /** The last time an operator put it back to `queued` (npm run requeue, whatsappAdminRequeue). */
  requeued: z
    .object({ by: z.string(), at: timestamp, previousError: z.string().nullable(), count: z.number().int() })
    .optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
  sentAt: timestamp.nullable(),
  /** Set once the entry is final, for TTL clean-up of finished entries. */
  expireAt: timestamp.nullable(),
});
export type OutboxDocument = z.infer<typeof outboxDocument>;
