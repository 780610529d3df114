import { Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  advancesStatus,
  collections,
  encodeIdSegment,
  messagePreview,
  paths,
  type MessageStatus,
} from "@wa-gateway/core";
import type { InboundMessage, Receipt } from "../transport/transport";

const DEDUPE_RETENTION_DAYS = 30;

export type InboundResult = "stored" | "duplicate";
export type ReceiptResult = "advanced" | "unchanged" | "unknown";

/** Thread id for a conversation a peer starts: deterministic, so a replay finds the same one. */
export function inboundThreadId(accountId: string, peerJid: string): string {
  return `wa_${encodeIdSegment(accountId)}_${encodeIdSegment(peerJid.split("@")[0]!)}`;
}

export function inboundStore(db: Firestore) {
  return {
    /**
     * Stores one inbound message exactly once: the dedupe marker, the thread message and the
     * thread update commit together, so a replay finds the marker and a new message is never lost.
     */
    store(accountId: string, message: InboundMessage): Promise<InboundResult> {
      const dedupeRef = db.doc(paths.inboundDedupe(accountId, message.messageId));
      return db.runTransaction(async (tx) => {
        if ((await tx.get(dedupeRef)).exists) return "duplicate";
        // The account's one thread with this peer (threadPeers), whoever opened it: never a guess.
        const peerRef = db.doc(paths.threadPeer(accountId, message.fromJid));
        const peer = await tx.get(peerRef);
        const now = Timestamp.now();
        const at = Timestamp.fromDate(message.timestamp);
        const preview = messagePreview(message.text);
        const opened = !peer.exists;
        const threadRef = db.doc(
          paths.thread(opened ? inboundThreadId(accountId, message.fromJid) : (peer.get("threadId") as string)),
        );
        const messageRef = db.doc(paths.threadMessage(threadRef.id, `in_${encodeIdSegment(message.messageId)}`));

        tx.create(dedupeRef, {
          accountId,
          messageId: message.messageId,
          threadId: threadRef.id,
          createdAt: now,
          expireAt: Timestamp.fromMillis(now.toMillis() + DEDUPE_RETENTION_DAYS * 86_400_000),
        });
        tx.create(messageRef, {
          direction: "in",
          text: message.text,
          status: "delivered",
          requestId: null,
          providerMessageId: message.messageId,
          senderUid: null,
          createdAt: at,
          updatedAt: now,
        });
        if (opened) {
          // Nobody owns a thread a peer opened: a member claims it, or the first to reply owns it.
          tx.create(peerRef, { accountId, peerJid: message.fromJid, threadId: threadRef.id, createdAt: now });
          tx.set(
            threadRef,
            {
              ownerUid: null,
              coWriterUids: [],
              accountId,
              peerJid: message.fromJid,
              lastMessageAt: at,
              lastMessagePreview: preview,
              createdAt: now,
              updatedAt: now,
            },
            { merge: true },
          );
        } else {
          tx.update(threadRef, { lastMessageAt: at, lastMessagePreview: preview, updatedAt: now });
        }
        return "stored";
      });
    },

    /** Moves an outgoing message's status forward on a delivery or read receipt (never backward). */
    async receipt(accountId: string, receipt: Receipt): Promise<ReceiptResult> {
      const found = await db
        .collection(collections.outbox)
        .where("providerMessageId", "==", receipt.messageId)
        .limit(1)
        .get();
      const outbox = found.docs[0];
      if (!outbox || outbox.get("accountId") !== accountId) return "unknown";
      const msgRef = db.doc(paths.threadMessage(outbox.get("threadId"), outbox.id));
      return db.runTransaction(async (tx) => {
        const msg = await tx.get(msgRef);
        if (!msg.exists) return "unknown";
        if (!advancesStatus(msg.get("status") as MessageStatus, receipt.status)) return "unchanged";
        tx.update(msgRef, { status: receipt.status, updatedAt: Timestamp.now() });
        return "advanced";
      });
    },
  };
}

export type InboundStore = ReturnType<typeof inboundStore>;
