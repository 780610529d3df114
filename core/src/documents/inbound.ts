import { z } from "zod";
import { timestamp } from "./common";

/** `inboundDedupe/{accountId}__{messageId}`: exists once the inbound message is stored. */
export const inboundDedupeDocument = z.object({
  accountId: z.string(),
  messageId: z.string(),
  threadId: z.string(),
  createdAt: timestamp,
  expireAt: timestamp,
});
export type InboundDedupeDocument = z.infer<typeof inboundDedupeDocument>;

/** `rateLimits/{uid}`: a fixed-window counter per user, shared by all function instances. */
export const rateLimitDocument = z.object({
  windowStart: timestamp,
  count: z.number().int().nonnegative(),
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
