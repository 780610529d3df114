import { z } from "zod";
import { timestamp } from "./common";

/** How long a Cloud API event is kept for its account's worker before its TTL deletes it. */
export const CLOUD_EVENT_RETENTION_DAYS = 14;

/**
 * `cloudApiEvents/{eventId}`: one message or status Meta's webhook delivered for a phone number
 * (core/src/cloudApi/webhookEvents.ts), kept for the worker that holds the number's account.
 * Keyed by phone number id, not account: an event for a number no account has yet waits for one.
 * Handled events stay until their TTL: a send whose answer was lost is known sent by its `sent` status.
 */
export const cloudApiEventDocument = z.object({
  phoneNumberId: z.string().min(1),
  kind: z.enum(["message", "status"]),
  wamid: z.string().min(1),
  /** A status's `biz_opaque_callback_data`: the gateway's providerMessageId of the send it is about. */
  callbackData: z.string().nullable(),
  /** Meta's object for this one event (`{ message, contact }` or `{ status }`) as JSON text, as it came. */
  payload: z.string(),
  receivedAt: timestamp,
  /** When the account's worker took it (stored the message, applied the status); null until then. */
  handledAt: timestamp.nullable(),
  /** TTL (firestore.indexes.json): receivedAt + CLOUD_EVENT_RETENTION_DAYS. */
  expireAt: timestamp,
});
export type CloudApiEventDocument = z.infer<typeof cloudApiEventDocument>;

/**
 * `accounts/{accountId}/templates/{name}.{language}`: a Cloud API account's message template as
 * Meta last listed it (core/src/cloudApi/templates.ts). Written by the worker holding the account,
 * which syncs them when it connects and hourly; read by the template send and the account's members.
 */
export const messageTemplateDocument = z.object({
  accountId: z.string(),
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string().nullable(),
  body: z.string().nullable(),
  parameterCount: z.number().int().nonnegative(),
  sendable: z.boolean(),
  syncedAt: timestamp,
});
export type MessageTemplateDocument = z.infer<typeof messageTemplateDocument>;

/**
 * `cloudApiNumbers/{phoneNumberId}`: which account holds a Cloud API number, claimed in the same
 * transaction that creates the account, so two accounts never hold one number (its webhook events
 * would be split between them). A claim whose account is removed may be taken again. Server-only.
 */
export const cloudApiNumberClaimDocument = z.object({
  accountId: z.string(),
  claimedAt: timestamp,
});
export type CloudApiNumberClaimDocument = z.infer<typeof cloudApiNumberClaimDocument>;
