import { Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  advancesStatus,
  encodeIdSegment,
  GrpcStatus,
  grpcStatusOf,
  messagePreview,
  paths,
  type MessageStatus,
} from "@wa-gateway/core";
import { optimisticUpdate } from "../optimistic";
import { outboxEntryByProviderMessageId } from "../outbox/outboxStore";
import type { InboundMessage, Receipt } from "../transport/transport";

const DEDUPE_RETENTION_DAYS = 30;
/** Concurrent stores of one message or one new thread conflict; past this many, it is a real error. */
const MAX_CONFLICTS = 5;

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
     * thread update commit in one batch, so a replay finds the marker and a new message is never
     * lost. No locking transaction (see optimistic.ts): a worker killed half-way must not leave
     * locks that stall the account's next messages. The marker and a new thread's peer record are
     * created, so two workers storing at once conflict (ALREADY_EXISTS) and the loser reads again.
     */
    async store(accountId: string, message: InboundMessage): Promise<InboundResult> {
      const dedupeRef = db.doc(paths.inboundDedupe(accountId, message.messageId));
      // The account's one thread with this peer (threadPeers), whoever opened it: never a guess.
      const peerRef = db.doc(paths.threadPeer(accountId, message.fromJid));
      for (let attempt = 1; ; attempt++) {
        const [dedupe, peer] = await db.getAll(dedupeRef, peerRef);
        if (dedupe!.exists) return "duplicate";
        const now = Timestamp.fromMillis(dedupe!.readTime.toMillis());
        const at = Timestamp.fromDate(message.timestamp);
        const preview = messagePreview(message.text);
        const opened = !peer!.exists;
        const threadRef = db.doc(
          paths.thread(opened ? inboundThreadId(accountId, message.fromJid) : (peer!.get("threadId") as string)),
        );
        const batch = db.batch();
        batch.create(dedupeRef, {
          accountId,
          messageId: message.messageId,
          threadId: threadRef.id,
          createdAt: now,
          expireAt: Timestamp.fromMillis(now.toMillis() + DEDUPE_RETENTION_DAYS * 86_400_000),
        });
        batch.create(db.doc(paths.threadMessage(threadRef.id, `in_${encodeIdSegment(message.messageId)}`)), {
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
          batch.create(peerRef, { accountId, peerJid: message.fromJid, threadId: threadRef.id, createdAt: now });
          batch.set(
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
          batch.update(threadRef, { lastMessageAt: at, lastMessagePreview: preview, updatedAt: now });
        }
        try {
          await batch.commit();
          return "stored";
        } catch (err) {
          if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS || attempt >= MAX_CONFLICTS) throw err;
        }
      }
    },

    /** Moves an outgoing message's status forward on a delivery or read receipt (never backward). */
    async receipt(accountId: string, receipt: Receipt): Promise<ReceiptResult> {
      const outbox = await outboxEntryByProviderMessageId(db, receipt.messageId);
      if (!outbox || outbox.get("accountId") !== accountId) return "unknown";
      const msgRef = db.doc(paths.threadMessage(outbox.get("threadId"), outbox.id));
      if (receipt.status === "failed") {
        // An ERROR ack: WhatsApp took the message, then refused it. Final, and not retried.
        const lastError = `WhatsApp refused the message (code ${receipt.code ?? "unknown"})`;
        return optimisticUpdate<ReceiptResult>(db, [msgRef, outbox.ref], ([msg], nowMs) => {
          const status = msg!.get("status") as MessageStatus | undefined;
          if (!msg!.exists || (status !== "queued" && status !== "sent")) return { result: "unchanged" };
          const at = Timestamp.fromMillis(nowMs);
          return {
            result: "advanced",
            updates: [
              [msgRef, { status: "failed", updatedAt: at }],
              [outbox.ref, { status: "failed", lastError, updatedAt: at }],
            ],
          };
        });
      }
      // Optimistic like every worker write: a receipt racing the `sent` record reads again.
      return optimisticUpdate<ReceiptResult>(db, [msgRef], ([msg], nowMs) => {
        if (!msg!.exists) return { result: "unknown" };
        if (!advancesStatus(msg!.get("status") as MessageStatus, receipt.status)) return { result: "unchanged" };
        return {
          result: "advanced",
          updates: [[msgRef, { status: receipt.status, updatedAt: Timestamp.fromMillis(nowMs) }]],
        };
      });
    },
  };
}

export type InboundStore = ReturnType<typeof inboundStore>;
