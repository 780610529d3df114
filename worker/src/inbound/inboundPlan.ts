import { Timestamp } from "firebase-admin/firestore";
import { encodeIdSegment, inboundDedupeId, inboundMessageKeyId, inboundThreadId } from "@wa-gateway/core";
import { DEFAULT_KEYWORDS, matchOptOut } from "@wa-gateway/core/accounts";
import { withinCap } from "@wa-gateway/core/media";
import {
  kindPreview,
  MESSAGE_KINDS,
  type MediaStatus,
  type MessageMediaDocument,
  type MessageChangeDocument,
  type MessageKind,
  type ThreadDocument,
  type ThreadMessageDocument,
} from "@wa-gateway/core/documents";
import type { InboundMedia, InboundMessage, InboundRef } from "../transport/transport";
import type { InboundDb, InboundWrite } from "./inboundDb";
import { optOutWrites, type OptOutChange, type OptOutOptions } from "./optOutWrites";

export const DEDUPE_RETENTION_DAYS = 30;
/** Concurrent stores of one message or one new thread conflict; past this many, it is a real error. */
const MAX_CONFLICTS = 5;

/**
 * What became of one WhatsApp message: `stored` (a new message), `applied` (a reaction, edit or
 * deletion changed its target), `held` (its target is not stored yet: kept aside until it is),
 * `duplicate` (a replay, or the echo of one of the gateway's own sends).
 */
export type InboundResult = "stored" | "applied" | "held" | "duplicate";

const kindOf = (kind: string | undefined): MessageKind =>
  (MESSAGE_KINDS as readonly string[]).includes(kind ?? "text") ? ((kind ?? "text") as MessageKind) : "unknown";

/** The thread message id of a contact's message, and of one typed on the account's phone. */
export const inboundDocId = (messageId: string) => `in_${encodeIdSegment(messageId)}`;
export const phoneDocId = (messageId: string) => `me_${encodeIdSegment(messageId)}`;

type MessageFields = Pick<ThreadMessageDocument, "text" | "reactions" | "editedAt" | "deleted">;

/** A reaction (per reacting party), an edit (new text, editedAt) or a deletion (text cleared) applied. */
export function applyChange(
  message: MessageFields,
  change: MessageChangeDocument,
  by: string,
  at: Timestamp,
): MessageFields {
  switch (change.type) {
    case "reaction": {
      const reactions = { ...message.reactions };
      if (change.emoji) reactions[by] = change.emoji;
      else delete reactions[by];
      return { ...message, reactions };
    }
    case "edit":
      // A deleted message stays deleted, whatever edit arrives after it.
      return message.deleted ? message : { ...message, text: change.text, editedAt: at };
    case "revoke":
      return { ...message, text: "", deleted: true };
  }
}

type Instant = { toMillis(): number };
const later = (a: Instant, b: Instant) => a.toMillis() >= b.toMillis();
const sameSecondBefore = (a: Instant, b: Instant) =>
  a.toMillis() < b.toMillis() && Math.floor(a.toMillis() / 1000) === Math.floor(b.toMillis() / 1000);

/**
 * Stores one WhatsApp message exactly once, or applies the change it carries. Exactly once: the
 * dedupe marker (chat, sender, id), the message and the thread commit together, so a replay
 * finds the marker and a new message is never lost. The thread's last message and preview only
 * ever move forward (an `offline` message older than what the thread shows leaves them alone);
 * messages are ordered by their own time (`createdAt`, WhatsApp's timestamp). A contact's text
 * that is an opt-out or opt-in keyword (`keywords`) records or removes its opt-out in the same
 * commit, so a redelivered STOP is no second opt-out.
 */
export async function storeInbound(
  db: InboundDb,
  accountId: string,
  message: InboundMessage,
  options: OptOutOptions = {},
): Promise<InboundResult> {
  const keywords = options.keywords ?? DEFAULT_KEYWORDS;
  const peerJid = message.fromJid;
  const altJid = message.fromJidAlt && message.fromJidAlt !== peerJid ? message.fromJidAlt : undefined;
  const fromMe = message.fromMe === true;
  const ours = (thread: ThreadDocument | undefined) =>
    thread === undefined ||
    (thread.accountId === accountId && (thread.peerJid === peerJid || thread.peerJid === altJid));
  for (let attempt = 1; ; attempt++) {
    // The account's one thread with this contact (threadPeers, by its number or its LID), whoever opened it.
    const usualId = inboundThreadId(accountId, peerJid);
    const start = await db.begin(
      accountId,
      altJid ? [peerJid, altJid] : [peerJid],
      usualId,
      fromMe ? null : inboundDedupeId(accountId, message.messageId),
      message.change ? null : message.messageId,
    );
    const [byPeer, byAlt] = start.peers;
    const known = byPeer ?? byAlt;
    let threadId = known?.threadId ?? usualId;
    let thread = threadId === usualId ? start.usual : await db.thread(threadId);
    if (!known && !ours(thread?.data)) {
      // The usual id is taken by another account's or peer's thread (created by a client
      // before the namespaces were enforced): this peer's thread gets the fallback id.
      threadId = inboundThreadId(accountId, peerJid, 1);
      thread = await db.thread(threadId);
    }
    if (!ours(thread?.data) && !(known && thread?.data.accountId === accountId)) {
      throw new Error(`inbound for account ${accountId}: thread ${threadId} belongs to another account or peer`);
    }
    const sender = fromMe ? "me" : "contact";
    // The marker is created with the message: a replay's commit conflicts, and then finds it.
    const markerId = inboundMessageKeyId(accountId, threadId, sender, message.messageId);
    // A marker of the old key (account and message id) is this message only if it is in this thread.
    if (start.oldMarker && start.oldMarker.threadId === threadId) return "duplicate";
    // The echo of one of the gateway's own sends (or one already stored) is no new message.
    if (fromMe && !message.change && (await db.outbound(threadId, message.messageId))) return "duplicate";

    const now = Timestamp.fromMillis(start.nowMs);
    const at = Timestamp.fromDate(message.timestamp);
    const writes: InboundWrite[] = [
      {
        kind: "marker",
        id: markerId,
        data: {
          accountId,
          messageId: message.messageId,
          threadId,
          sender,
          createdAt: now,
          expireAt: Timestamp.fromMillis(now.toMillis() + DEDUPE_RETENTION_DAYS * 86_400_000),
        },
      },
    ];
    // The contact's number and its LID lead to one thread: the one not recorded yet is added.
    const peerRecord = (jid: string) =>
      writes.push({ kind: "peer", accountId, jid, data: { accountId, peerJid: jid, threadId, createdAt: now } });
    const by = fromMe ? "me" : peerJid;

    let result: InboundResult;
    let optOut: OptOutChange | undefined;
    if (message.change) {
      const { target, ...change } = message.change;
      const targetDirection = target.fromMe ? "out" : "in";
      const found =
        targetDirection === "in"
          ? await db
              .message(threadId, inboundDocId(target.messageId))
              .then((m) => m && { ...m, docId: inboundDocId(target.messageId) })
          : await db.outbound(threadId, target.messageId);
      if (found) {
        const changed = applyChange(found.data, change, by, at);
        writes.push({
          kind: "message",
          threadId,
          docId: found.docId,
          data: { ...changed, updatedAt: now },
          version: found.version,
        });
        // The thread's preview follows an edit or deletion of the message it shows (the one of its
        // time whose preview it is: WhatsApp's times are in seconds, so several may share one).
        const shows =
          thread !== undefined &&
          found.data.createdAt.toMillis() === thread.data.lastMessageAt.toMillis() &&
          thread.data.lastMessagePreview === kindPreview(found.data.kind, found.data.text, found.data.deleted);
        if (thread && shows && change.type !== "reaction") {
          writes.push({
            kind: "thread",
            threadId,
            data: { lastMessagePreview: kindPreview(found.data.kind, changed.text, changed.deleted), updatedAt: now },
            version: thread.version,
          });
        }
        result = "applied";
      } else {
        writes.push({
          kind: "newPending",
          id: markerId,
          data: {
            accountId,
            threadId,
            targetId: target.messageId,
            targetDirection,
            by,
            change,
            at,
            createdAt: now,
            expireAt: Timestamp.fromMillis(now.toMillis() + DEDUPE_RETENTION_DAYS * 86_400_000),
          },
        });
        result = "held";
      }
      if (thread && !byPeer) peerRecord(peerJid);
      if (thread && altJid && !byAlt) peerRecord(altJid);
    } else {
      const kind = kindOf(message.kind);
      let fields: MessageFields = { text: message.text, reactions: {}, editedAt: null, deleted: false };
      const direction = fromMe ? "out" : "in";
      // What arrived before this message, for it, applied in the order they were made; whichever
      // thread it was kept under (a LID-only change can precede a target told by number alone).
      const pending = start.pending
        .filter((p) => p.data.targetDirection === direction)
        .sort((a, b) => a.data.at.toMillis() - b.data.at.toMillis());
      for (const p of pending) {
        fields = applyChange(fields, p.data.change, p.data.by, Timestamp.fromMillis(p.data.at.toMillis()));
        writes.push({ kind: "donePending", id: p.id });
      }
      // WhatsApp's time is whole seconds, what the thread shows may have milliseconds (our send):
      // a message in that same second came after it (a reply), so it goes just after it.
      const placed =
        thread && sameSecondBefore(at, thread.data.lastMessageAt)
          ? Timestamp.fromMillis(thread.data.lastMessageAt.toMillis() + 1)
          : at;
      const docId = fromMe ? phoneDocId(message.messageId) : inboundDocId(message.messageId);
      const media = message.media ? inboundMediaWrites(accountId, threadId, docId, message.media, now) : undefined;
      if (media?.download) writes.push(media.download);
      writes.push({
        kind: "newMessage",
        threadId,
        docId,
        data: {
          direction,
          ...fields,
          // Typed on the phone: it left the phone; receipts for it go to the phone, not to us.
          status: fromMe ? "sent" : "delivered",
          requestId: null,
          providerMessageId: message.messageId,
          senderUid: null,
          kind,
          media: media?.fields ?? null,
          mediaStatus: media?.status ?? null,
          createdAt: placed,
          updatedAt: now,
        },
      });
      const preview = kindPreview(kind, fields.text, fields.deleted);
      if (!byPeer) peerRecord(peerJid);
      if (altJid && !byAlt) peerRecord(altJid);
      const said = !fromMe && kind === "text" ? matchOptOut(fields.text, keywords) : null;
      if (said) {
        const changes = await optOutWrites(db, accountId, altJid ? [peerJid, altJid] : [peerJid], said, message, now);
        writes.push(...changes);
        optOut = { accountId, messageId: message.messageId, ...said, records: changes.length };
      }
      if (thread) {
        // Forward only: an offline message older than what the thread shows leaves it alone.
        if (later(placed, thread.data.lastMessageAt)) {
          writes.push({
            kind: "thread",
            threadId,
            data: { lastMessageAt: placed, lastMessagePreview: preview, updatedAt: now },
            version: thread.version,
          });
        }
      } else {
        // Nobody owns a thread a peer opened: a member claims it, or the first to reply owns it.
        writes.push({
          kind: "newThread",
          threadId,
          data: {
            ownerUid: null,
            coWriterUids: [],
            accountId,
            peerJid,
            lastMessageAt: at,
            lastMessagePreview: preview,
            createdAt: now,
            updatedAt: now,
          },
        });
      }
      result = "stored";
    }
    if ((await db.commit(writes)) === "committed") {
      if (optOut) options.onOptOut?.(optOut);
      return result;
    }
    if (await db.marker(markerId)) return "duplicate";
    if (attempt >= MAX_CONFLICTS) throw new Error(`inbound for account ${accountId}: ${attempt} conflicting commits`);
  }
}

/**
 * A file's fields on its message, and the download to fetch it with (created in the same commit,
 * so a message whose bytes are late is stored at once and its bytes still come). A file over its
 * kind's cap is recorded as such, never fetched.
 */
function inboundMediaWrites(
  accountId: string,
  threadId: string,
  messageDocId: string,
  media: InboundMedia,
  now: Timestamp,
): { fields: MessageMediaDocument; status: MediaStatus; download?: InboundWrite } {
  const { kind, mimetype, size, sha256, ref, ...details } = media;
  const fields = { path: null, mimetype, size, sha256, ...details };
  if (!withinCap(kind, size)) return { fields, status: "too_large" };
  return {
    fields,
    status: "pending",
    download: {
      kind: "newMediaDownload",
      data: {
        accountId,
        threadId,
        messageDocId,
        kind,
        mimetype,
        ref,
        attempts: 0,
        nextAttemptAt: now,
        lastError: null,
        createdAt: now,
      },
    },
  };
}

/**
 * Whether this message is stored already, in whichever of the account's threads its chat leads
 * to. WhatsApp delivers again what it has no receipt for; one stored whose receipt never left
 * (the socket closed first, the commit outlasted the receipt's wait) comes back on Signal keys
 * already used, and can only be recognised, not read.
 */
export async function storedAlready(db: InboundDb, accountId: string, ref: InboundRef): Promise<boolean> {
  const fromMe = ref.fromMe === true;
  const jids = ref.fromJidAlt && ref.fromJidAlt !== ref.fromJid ? [ref.fromJid, ref.fromJidAlt] : [ref.fromJid];
  const usualId = inboundThreadId(accountId, ref.fromJid);
  const start = await db.begin(
    accountId,
    jids,
    usualId,
    fromMe ? null : inboundDedupeId(accountId, ref.messageId),
    null,
  );
  const threadIds = new Set([
    ...start.peers.flatMap((peer) => (peer ? [peer.threadId] : [])),
    usualId,
    inboundThreadId(accountId, ref.fromJid, 1),
  ]);
  if (start.oldMarker && threadIds.has(start.oldMarker.threadId)) return true;
  for (const threadId of threadIds) {
    if (await db.marker(inboundMessageKeyId(accountId, threadId, fromMe ? "me" : "contact", ref.messageId)))
      return true;
    // The echo of one of the gateway's own sends is stored as what it sent.
    if (fromMe && (await db.outbound(threadId, ref.messageId))) return true;
  }
  return false;
}
