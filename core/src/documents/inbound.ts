import { z } from "zod";
import { timestamp } from "./common";

/**
 * `inboundDedupe/{accountId}__{threadId}__{sender}__{messageId}`: exists once a WhatsApp message
 * (or a reaction, edit or deletion) is stored. Message ids are chosen by the sender's client, so a
 * message is identified by its chat (the account's one thread with the contact), its sender (the
 * contact, or the account typing on its phone) and its id. Markers written before that key,
 * `inboundDedupe/{accountId}__{messageId}` (no `sender`), are read too until their TTL ends them.
 */
export const inboundDedupeDocument = z.object({
  accountId: z.string(),
  messageId: z.string(),
  threadId: z.string(),
  /** "contact" or "me"; absent on markers of the old key (always a contact's). */
  sender: z.enum(["contact", "me"]).optional(),
  createdAt: timestamp,
  expireAt: timestamp,
});
export type InboundDedupeDocument = z.infer<typeof inboundDedupeDocument>;

/**
 * `rateLimits/{uid}__{window}__{slot}`: one of a user's `SEND_RATE_LIMIT_MAX` send slots in a
 * window, created once by the send that takes it (no document every send rewrites); TTL.
 */
export const rateLimitDocument = z.object({
  uid: z.string(),
  windowStart: timestamp,
  expireAt: timestamp,
});
export type RateLimitDocument = z.infer<typeof rateLimitDocument>;

/**
 * `claimAttempts/{auto id}`: one per call of the claim callable, so a caller's claims in a window
 * are counted with a query (no per-user document every call would write).
 */
export const claimAttemptDocument = z.object({
  uid: z.string(),
  at: timestamp,
  expireAt: timestamp,
});
export type ClaimAttemptDocument = z.infer<typeof claimAttemptDocument>;

/**
 * `threadPeers/{accountId}__{peer}`: the account's one thread with a peer, whoever opened it.
 * Created with the thread (by the send callable or the inbound store), never changed.
 */
export const threadPeerDocument = z.object({
  accountId: z.string(),
  peerJid: z.string(),
  threadId: z.string(),
  createdAt: timestamp,
});
export type ThreadPeerDocument = z.infer<typeof threadPeerDocument>;

/** A reaction, edit or deletion of an earlier message, as WhatsApp sends it. */
export const messageChange = z.discriminatedUnion("type", [
  /** `emoji` "" takes the reaction back. */
  z.object({ type: z.literal("reaction"), emoji: z.string() }),
  z.object({ type: z.literal("edit"), text: z.string() }),
  z.object({ type: z.literal("revoke") }),
]);
export type MessageChangeDocument = z.infer<typeof messageChange>;

/**
 * `inboundPending/{dedupe id of the change}`: a reaction, edit or deletion whose target message is
 * not stored (yet): applied, and deleted, when the target arrives; never shown as a bubble.
 */
export const inboundPendingDocument = z.object({
  accountId: z.string(),
  threadId: z.string(),
  /** The target's WhatsApp id, and whose message it is ("in": the contact's, "out": the account's). */
  targetId: z.string(),
  targetDirection: z.enum(["in", "out"]),
  /** Who made the change: the contact's JID, or "me". */
  by: z.string(),
  change: messageChange,
  /** When WhatsApp says the change was made. */
  at: timestamp,
  createdAt: timestamp,
  expireAt: timestamp,
});
export type InboundPendingDocument = z.infer<typeof inboundPendingDocument>;

/**
 * `optOuts/{accountId}__{hash of contactJid}`: the contact asked not to be messaged by the account
 * (their whole message was an opt-out keyword, core/src/accounts/optOut.ts). Written by the
 * inbound store in the commit that stores the message, one document under the contact's number
 * and one under its LID when WhatsApp told both; deleted by an opt-in keyword or by an operator
 * (`npm run opt-out -- clear`). The send callable refuses sends to `contactJid` while it exists.
 */
export const optOutDocument = z.object({
  accountId: z.string(),
  contactJid: z.string(),
  /** The same contact's other JID (its LID or its number), recorded under its own document too. */
  otherJid: z.string().nullable(),
  /** The keyword the contact wrote, normalised (upper case, no accents). */
  keyword: z.string(),
  /** The WhatsApp id of the message that said it. */
  messageId: z.string(),
  /** When the contact wrote it (WhatsApp's time). */
  at: timestamp,
  source: z.literal("contact"),
  createdAt: timestamp,
});
export type OptOutDocument = z.infer<typeof optOutDocument>;
