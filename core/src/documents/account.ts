import { z } from "zod";
import { ACCOUNT_TRANSPORTS, cloudApiNumber } from "../proxies/contract";
import { timestamp } from "./common";

export { ACCOUNT_TRANSPORTS, cloudApiNumber, type AccountTransport } from "../proxies/contract";

/**
 * A Cloud API number as stored. `businessAccountId` came with templates: an account added before
 * has none, reads as it is, and has no template catalogue until an operator sets it.
 */
export const storedCloudApiNumber = cloudApiNumber.extend({ businessAccountId: z.string().optional() });
export type CloudApiNumber = z.infer<typeof storedCloudApiNumber>;

export const ACCOUNT_STATUSES = [
  "pending_qr",
  "connecting",
  "connected",
  "disconnected",
  "needs_qr",
  "logged_out",
  "removed",
] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** Which worker holds the account's one socket, until when, under which fencing epoch. */
export const accountOwner = z.object({
  workerId: z.string(),
  leaseUntil: timestamp,
  epoch: z.number().int().nonnegative(),
  /** Given back by its holder (shutdown, stop): ended at once, its epoch kept for the next claim. */
  releasedAt: timestamp.optional(),
});
export type AccountOwner = z.infer<typeof accountOwner>;

/** How many recent disconnect times an account document keeps (bounded, whatever the loop). */
export const RECENT_DISCONNECTS_KEPT = 50;

export const accountDocument = z.object({
  status: z.enum(ACCOUNT_STATUSES),
  /** Absent: `baileys` (every account before the Cloud API). */
  transport: z.enum(ACCOUNT_TRANSPORTS).optional(),
  /** Set exactly when `transport` is `cloud_api`. */
  cloudApi: storedCloudApiNumber.nullable().optional(),
  label: z.string().nullable(),
  /** E.164 digits, set when the operator wants pairing-code login instead of a QR. */
  phoneNumber: z.string().nullable(),
  qr: z.string().nullable(),
  /** The account's own WhatsApp id once linked (written by the worker). */
  waJid: z.string().nullable().optional(),
  qrExpiresAt: timestamp.nullable(),
  pairingCode: z.string().nullable(),
  /** Bumped by the regenerate-QR callable; the owning worker restarts the login when it changes. */
  qrRequestedAt: timestamp.nullable(),
  owner: accountOwner.nullable(),
  lastDisconnect: z.object({ code: z.number().int(), at: timestamp }).nullable().optional(),
  reconnectCount: z.number().int().nonnegative(),
  /**
   * When the socket closed within the last hour, newest last, at most RECENT_DISCONNECTS_KEPT:
   * the watchdog's reconnect-loop check reads this instead of sampling every account each minute.
   */
  recentDisconnects: z.array(timestamp).max(50).optional(),
  /** Set while the account cools down after too many reconnects in an hour; null once it connects. */
  reconnectCooldownUntil: timestamp.nullable().optional(),
  memberUids: z.array(z.string()),
  /**
   * The members the account's threads were last brought in line with (core/src/proxies/accountMembers.ts):
   * whoever is here but not in memberUids still has to lose its threads. Absent: never done yet.
   */
  memberUidsApplied: z.array(z.string()).optional(),
  createdBy: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  removedAt: timestamp.nullable(),
  /** When the lease holder last deleted the session (logged out, removed): a removed account is done. */
  sessionClearedAt: timestamp.nullable().optional(),
  /** Since when the holder has failed to store the account's inbound messages; null once it can. */
  inboundStuckSince: timestamp.nullable().optional(),
  /**
   * WhatsApp's reach-out timelock, as the holder last read it (on connect, after a 463, or pushed
   * by WhatsApp): `until` null when WhatsApp gave no end. Null or absent: not locked.
   */
  reachoutLock: z
    .object({ until: timestamp.nullable(), enforcement: z.string(), seenAt: timestamp })
    .nullable()
    .optional(),
  /** WhatsApp's new-chat quota for the account, where it has one (business accounts), last read on connect. */
  newChatQuota: z
    .object({ used: z.number().int(), total: z.number().int(), cycleEndsAt: timestamp.nullable(), seenAt: timestamp })
    .nullable()
    .optional(),
  /**
   * A Cloud API account's access token as Meta last described it (`GET /debug_token`, on connect
   * and hourly): `expiresAt` null when it never expires (a system user's token). The watchdog
   * opens cloud_token_expiring before it runs out.
   */
  cloudApiToken: z.object({ expiresAt: timestamp.nullable(), checkedAt: timestamp }).nullable().optional(),
  /** When a worker last handed the account to another to even out the fleet (a planned move). */
  movedAt: timestamp.nullable().optional(),
  /** When the backlog of a removed or logged-out account was last found resolved (all final). */
  backlogResolvedAt: timestamp.nullable().optional(),
  /** When a removed account's files (`media/{accountId}/`) were deleted from the media bucket. */
  mediaClearedAt: timestamp.nullable().optional(),
});
export type AccountDocument = z.infer<typeof accountDocument>;
