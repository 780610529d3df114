import { createHash } from "node:crypto";

/**
 * Deterministic document ids. Each one is a pure function of its inputs, so a retried write
 * lands on the same document instead of creating a second one.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

function utcParts(date: Date) {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid date");
  return {
    y: pad(date.getUTCFullYear(), 4),
    mo: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    h: pad(date.getUTCHours()),
    mi: pad(date.getUTCMinutes()),
    s: pad(date.getUTCSeconds()),
  };
}

/** Start of the bucket holding `date`, floored to `intervalSec` from the epoch (UTC). */
export function bucketStart(date: Date, intervalSec: number): Date {
  if (!Number.isInteger(intervalSec) || intervalSec <= 0) {
    throw new RangeError("intervalSec must be a positive whole number");
  }
  const ms = intervalSec * 1000;
  return new Date(Math.floor(date.getTime() / ms) * ms);
}

/** Heartbeat bucket id, e.g. `2025-12-30T08-00-00`: the bucket start in UTC, colons as dashes. */
export function heartbeatBucketId(date: Date, intervalSec: number): string {
  const p = utcParts(bucketStart(date, intervalSec));
  return `${p.y}-${p.mo}-${p.d}T${p.h}-${p.mi}-${p.s}`;
}

/** Inverse of {@link heartbeatBucketId}; undefined when the id is not one. */
export function parseHeartbeatBucketId(id: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/.exec(id);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`);
  return Number.isNaN(date.getTime()) || heartbeatBucketId(date, 1) !== id ? undefined : date;
}

export type ProbeType = "OUT" | "QUEUE" | "IN";
export const PROBE_TYPES: readonly ProbeType[] = ["OUT", "QUEUE", "IN"];

/** Probe key: `OUT_yyyyMMddHH`, `IN_yyyyMMddHH` (hourly slots) or `QUEUE_yyyyMMdd` (daily). */
export function probeKey(type: ProbeType, date: Date): string {
  const p = utcParts(date);
  return type === "QUEUE" ? `QUEUE_${p.y}${p.mo}${p.d}` : `${type}_${p.y}${p.mo}${p.d}${p.h}`;
}

/** Rollup id: the UTC calendar date, `yyyy-mm-dd`. */
export function rollupDate(date: Date): string {
  const p = utcParts(date);
  return `${p.y}-${p.mo}-${p.d}`;
}

/** Parses a `yyyy-mm-dd` rollup date into its UTC midnight; undefined when it is not a real date. */
export function parseRollupDate(id: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(id)) return undefined;
  const date = new Date(`${id}T00:00:00.000Z`);
  return Number.isNaN(date.getTime()) || rollupDate(date) !== id ? undefined : date;
}

const SAFE_ID_CHAR = /[A-Za-z0-9_-]/;
const MAX_ENCODED_ID = 700;

/**
 * Encodes any string into a document-id segment, injectively: characters outside
 * `[A-Za-z0-9_-]` become `%XX` (UTF-8), and a result too long for Firestore becomes `~` plus a
 * SHA-256, which no encoded id can start with (a literal `~` is always escaped).
 */
export function encodeIdSegment(raw: string): string {
  let out = "";
  for (const ch of raw) {
    if (SAFE_ID_CHAR.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (out.length === 0) throw new RangeError("id must not be empty");
  return out.length > MAX_ENCODED_ID ? `~${sha256Hex(raw)}` : out;
}

/** `inboundDedupe/{accountId}__{messageId}`: the key of markers written before the chat and sender were part of it. */
export function inboundDedupeId(accountId: string, messageId: string): string {
  return `${encodeIdSegment(accountId)}__${encodeIdSegment(messageId)}`;
}

/**
 * `inboundDedupe/{accountId}__{threadId}__{sender}__{messageId}`: one per WhatsApp message, which
 * its chat (the account's thread with the contact), its sender and its id identify.
 */
export function inboundMessageKeyId(
  accountId: string,
  threadId: string,
  sender: "contact" | "me",
  messageId: string,
): string {
  return `${encodeIdSegment(accountId)}__${encodeIdSegment(threadId)}__${sender}__${encodeIdSegment(messageId)}`;
}

/**
 * `threadPeers/{accountId}__{hash of peerJid}`: the one thread an account has with a peer. Send
 * and inbound both go through it, so a peer's reply always lands in the thread it answers.
 */
export function threadPeerId(accountId: string, peerJid: string): string {
  return `${encodeIdSegment(accountId)}__${sha256Hex(peerJid).slice(0, 40)}`;
}

/**
 * `optOuts/{accountId}__{hash of contactJid}`: a contact who asked not to be messaged by the
 * account. Keyed like threadPeers, so the send transaction gets it by (account, toJid) directly.
 */
export function optOutId(accountId: string, contactJid: string): string {
  return `${encodeIdSegment(accountId)}__${sha256Hex(contactJid).slice(0, 40)}`;
}

/**
 * `waSessions/{accountId}/keys/{type}__{id}`: one document per Signal key. Key ids are arbitrary
 * (app-state-sync-key ids are base64 with `/`), so the id is encoded; the type has no `__`.
 */
export function sessionKeyDocId(type: string, id: string): string {
  return `${encodeIdSegment(type)}__${encodeIdSegment(id)}`;
}

/**
 * Thread ids come from two namespaces. Clients choose theirs when they send the first message of
 * a thread; the gateway chooses the id of a thread a contact opens (`wa_…`) and of its probes'
 * threads (`longrun-probe_…`). The send callable refuses to create a thread in the gateway's
 * namespace, and the inbound store writes only a thread it created or one whose account and
 * peer are its own, so nobody can open the thread another account's contact will land in.
 */
export const INBOUND_THREAD_PREFIX = "wa_";

/** Whether only the gateway may create a thread with this id. */
export function isGatewayThreadId(threadId: string): boolean {
  return threadId.startsWith(INBOUND_THREAD_PREFIX) || threadId.startsWith(PROBE_THREAD_PREFIX);
}

/**
 * The id of the thread a peer opens with an account: deterministic, so a replay finds it. `n` 1
 * is the fallback when the first is taken by a thread of another account or peer (one a client
 * created before the namespaces were enforced): its hash of account and peer is the pair's own.
 */
export function inboundThreadId(accountId: string, peerJid: string, n: 0 | 1 = 0): string {
  const base = `${INBOUND_THREAD_PREFIX}${encodeIdSegment(accountId)}_${encodeIdSegment(peerJid.split("@")[0]!)}`;
  return n === 0 ? base : `${base}_${sha256Hex(JSON.stringify([accountId, peerJid])).slice(0, 16)}`;
}

/** Thread ids under this prefix belong to the gateway's own probes; no user may send in one. */
export const PROBE_THREAD_PREFIX = "longrun-probe_";

export function probeThreadId(accountId: string): string {
  return `${PROBE_THREAD_PREFIX}${encodeIdSegment(accountId)}`;
}

/**
 * requestId for an outbox entry: a hash of (uid, clientMessageId), so the same user retrying
 * the same message lands on the same document, and two users can never share one. The parts
 * are JSON-encoded as a pair, which keeps ("a", "bc") and ("ab", "c") apart.
 */
export function requestIdFor(uid: string, clientMessageId: string): string {
  if (!uid || !clientMessageId) throw new RangeError("uid and clientMessageId are required");
  return `req_${sha256Hex(JSON.stringify([uid, clientMessageId])).slice(0, 40)}`;
}

export function sha256Hex(input: string): string {
  return createHash("sha256").update(input, "utf8").digest("hex");
}
