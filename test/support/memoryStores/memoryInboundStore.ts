import { Timestamp } from "firebase-admin/firestore";
import { encodeIdSegment, inboundThreadId } from "@wa-gateway/core";
import { messagePreview, type ThreadDocument } from "@wa-gateway/core/documents";
import { advancesStatus } from "@wa-gateway/core/outbox";
import { DEDUPE_RETENTION_DAYS, type InboundStore, type ReceiptResult } from "../../../worker/src/inbound/inboundStore";
import { roundTrip, type MemoryDatabase } from "./memoryDatabase";

/**
 * Inbound messages over a MemoryDatabase, stored exactly once as Firestore's store does: the
 * dedupe marker, the thread message and the thread (opened for a new peer) in one step; only a
 * thread it creates, or one of this account and peer, is written (the usual id taken by another
 * account's or peer's thread: the fallback id).
 */
export function memoryInboundStore(db: MemoryDatabase): InboundStore {
  return {
    async store(accountId, message) {
      await roundTrip();
      const dedupeId = `${accountId}__${message.messageId}`;
      if (db.inboundDedupe.has(dedupeId)) return "duplicate";
      const now = db.now();
      const at = Timestamp.fromDate(message.timestamp);
      const preview = messagePreview(message.text);
      const peerId = `${accountId}__${message.fromJid}`;
      const known = db.threadPeers.get(peerId);
      const ours = (t: ThreadDocument | undefined) =>
        t === undefined || (t.accountId === accountId && t.peerJid === message.fromJid);
      let threadId = known ? known.threadId : inboundThreadId(accountId, message.fromJid);
      if (!known && !ours(db.threads.get(threadId))) threadId = inboundThreadId(accountId, message.fromJid, 1);
      const thread = db.threads.get(threadId);
      if (!ours(thread)) {
        throw new Error(`inbound for account ${accountId}: thread ${threadId} belongs to another account or peer`);
      }
      db.inboundDedupe.set(dedupeId, {
        accountId,
        messageId: message.messageId,
        threadId,
        createdAt: now,
        expireAt: Timestamp.fromMillis(now.toMillis() + DEDUPE_RETENTION_DAYS * 86_400_000),
      });
      db.setMessage(threadId, `in_${encodeIdSegment(message.messageId)}`, {
        direction: "in",
        text: message.text,
        status: "delivered",
        requestId: null,
        providerMessageId: message.messageId,
        senderUid: null,
        createdAt: at,
        updatedAt: now,
      });
      if (!known) db.threadPeers.set(peerId, { accountId, peerJid: message.fromJid, threadId, createdAt: now });
      if (thread) {
        db.threads.set(threadId, { ...thread, lastMessageAt: at, lastMessagePreview: preview, updatedAt: now });
      } else {
        // Nobody owns a thread a peer opened: a member claims it, or the first to reply owns it.
        db.threads.set(threadId, {
          ownerUid: null,
          coWriterUids: [],
          accountId,
          peerJid: message.fromJid,
          lastMessageAt: at,
          lastMessagePreview: preview,
          createdAt: now,
          updatedAt: now,
        });
      }
      db.changed("inbound", dedupeId);
      return "stored";
    },

    async receipt(accountId, receipt): Promise<ReceiptResult> {
      await roundTrip();
      const entry = [...db.outbox.entries()].find(([, d]) => d.providerMessageId === receipt.messageId);
      if (!entry || entry[1].accountId !== accountId) return "unknown";
      const [requestId, data] = entry;
      const msg = db.message(data.threadId, requestId);
      const now = db.now();
      if (receipt.status === "failed") {
        if (!msg || (msg.status !== "queued" && msg.status !== "sent")) return "unchanged";
        const lastError = `WhatsApp refused the message (code ${receipt.code ?? "unknown"})`;
        db.setMessage(data.threadId, requestId, { ...msg, status: "failed", updatedAt: now });
        db.putOutbox(requestId, { ...data, status: "failed", lastError, failureKind: "permanent", updatedAt: now });
        return "advanced";
      }
      if (!msg) return "unknown";
      if (!advancesStatus(msg.status, receipt.status)) return "unchanged";
      db.setMessage(data.threadId, requestId, { ...msg, status: receipt.status, updatedAt: now });
      return "advanced";
    },
  };
}
