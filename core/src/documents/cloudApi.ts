import { z } from "zod";
import { timestamp } from "./common";

/** How long a Cloud API event is kept for its account's worker before its TTL deletes it. */
export const CLOUD_EVENT_RETENTION_DAYS = 14;

/**
 * `cloudApiEvents/{eventId}`: one message or status Meta's webhook delivered for a phone number
 * (core/src/cloudApi/webhookEvents.ts), kept for the worker that holds the number's account.
 * Keyed by phone number id, not account: an event for a number no account has yet waits for one.
 */
export const cloudApiEventDocument = z.object({
  phoneNumberId: z.string().min(1),
  kind: z.enum(["message", "status"]),
  wamid: z.string().min(1),
  /** Meta's object for this one event (`{ message, contact }` or `{ status }`) as JSON text, as it came. */
  payload: z.string(),
  receivedAt: timestamp,
  /** TTL (firestore.indexes.json): receivedAt + CLOUD_EVENT_RETENTION_DAYS. */
  expireAt: timestamp,
});
export type CloudApiEventDocument = z.infer<typeof cloudApiEventDocument>;
