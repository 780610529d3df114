import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { encodeIdSegment, GrpcStatus, grpcStatusOf, inboundThreadId } from "@wa-gateway/core";
import { messagePreview, type ThreadDocument } from "@wa-gateway/core/documents";
import { advancesStatus } from "@wa-gateway/core/outbox";
import { inboundDedupe, outbox, readTogether, threadMessages, threadPeers, threads } from "@wa-gateway/data";
import { optimisticUpdate, updateOf, type OptimisticDecision } from "../optimistic";
import type { InboundMessage, Receipt } from "../transport/transport";

export const DEDUPE_RETENTION_DAYS = 30;
/** Concurrent stores of one message or one new thread conflict; past this many, it is a real error. */
const MAX_CONFLICTS = 5;

export type InboundResult = "stored" | "duplicate";
export type ReceiptResult = "advanced" | "unchanged" | "unknown";

/**
 * Inbound messages stored exactly once (dedupe by account and message id) and receipts moving
 * outgoing messages forward: Firestore's is inboundStore below; tests have an in-memory one
 * (test/support/memoryStores).
 */
export interface InboundStore {
  /** Stores the message, its thread (opened if the peer has none) and the dedupe marker; a replay: `duplicate`. */
  store(accountId: string, message: InboundMessage): Promise<InboundResult>;
  /** Moves the outgoing message with this provider id forward (never backward); `failed` also fails its entry. */
  receipt(accountId: string, receipt: Receipt): Promise<ReceiptResult>;
}

export function inboundStore(db: Firestore): InboundStore {
  return {
    /**
     * Stores one inbound message exactly once: the dedupe marker, the thread message and the
     * thread update commit in one batch, so a replay finds the marker and a new message is never
     * lost; no locking transaction (core/src/leases.ts says why). The marker and a new thread's peer record are
     * created, so two workers storing at once conflict (ALREADY_EXISTS) and the loser reads again.
     */
    async store(accountId: string, message: InboundMessage): Promise<InboundResult> {
      const peerJid = message.fromJid;
      // Only a thread this store creates, or one with this account and this peer, is written.
      const ours = (thread: ThreadDocument | undefined) =>
        thread === undefined || (thread.accountId === accountId && thread.peerJid === peerJid);
      for (let attempt = 1; ; attempt++) {
        // The account's one thread with this peer (threadPeers), whoever opened it: never a guess.
        const [dedupe, peer, usual] = await readTogether(db, [
          inboundDedupe.doc(db, accountId, message.messageId),
          threadPeers.doc(db, accountId, peerJid),
          threads.doc(db, inboundThreadId(accountId, peerJid)),
        ]);
        if (dedupe.exists) return "duplicate";
        const known = peer.data();
        let threadId = known?.threadId ?? usual.id;
        let thread = threadId === usual.id ? usual.data() : (await threads.doc(db, threadId).get()).data();
        if (!known && !ours(thread)) {
          // The usual id is taken by another account's or peer's thread (created by a client
          // before the namespaces were enforced): this peer's thread gets the fallback id.
          threadId = inboundThreadId(accountId, peerJid, 1);
          thread = (await threads.doc(db, threadId).get()).data();
        }
        if (!ours(thread)) {
          throw new Error(`inbound for account ${accountId}: thread ${threadId} belongs to another account or peer`);
        }
        const now = Timestamp.fromMillis(dedupe.readTime.toMillis());
        const at = Timestamp.fromDate(message.timestamp);
        const preview = messagePreview(message.text);
        const batch = db.batch();
        batch.create(inboundDedupe.write(db, accountId, message.messageId), {
          accountId,
          messageId: message.messageId,
          threadId,
          createdAt: now,
          expireAt: Timestamp.fromMillis(now.toMillis() + DEDUPE_RETENTION_DAYS * 86_400_000),
        });
        batch.create(threadMessages.write(db, threadId, `in_${encodeIdSegment(message.messageId)}`), {
          direction: "in",
          text: message.text,
          status: "delivered",
          requestId: null,
          providerMessageId: message.messageId,
          senderUid: null,
          createdAt: at,
          updatedAt: now,
        });
        // A new peer record, and a new thread, are created: two stores racing conflict (ALREADY_EXISTS).
        if (!known)
          batch.create(threadPeers.write(db, accountId, peerJid), { accountId, peerJid, threadId, createdAt: now });
        if (thread) {
          batch.update(threads.doc(db, threadId), { lastMessageAt: at, lastMessagePreview: preview, updatedAt: now });
        } else {
          // Nobody owns a thread a peer opened: a member claims it, or the first to reply owns it.
          batch.create(threads.write(db, threadId), {
            ownerUid: null,
            coWriterUids: [],
            accountId,
            peerJid,
            lastMessageAt: at,
            lastMessagePreview: preview,
            createdAt: now,
            updatedAt: now,
          });
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
      const entry = await outbox.byProviderMessageId(db, receipt.messageId);
      if (!entry || entry.data().accountId !== accountId) return "unknown";
      const msgRef = threadMessages.doc(db, entry.data().threadId, entry.id);
      if (receipt.status === "failed") {
        // An ERROR ack: WhatsApp took the message, then refused it. Final, not retried, and not
        // requeued unless an operator insists (permanent).
        const lastError = `WhatsApp refused the message (code ${receipt.code ?? "unknown"})`;
        return optimisticUpdate(db, [msgRef, entry.ref], ([msg], nowMs): OptimisticDecision<ReceiptResult> => {
          const status = msg.data()?.status;
          if (status !== "queued" && status !== "sent") return { result: "unchanged" };
          const at = Timestamp.fromMillis(nowMs);
          return {
            result: "advanced",
            updates: [
              updateOf(msgRef, { status: "failed", updatedAt: at }),
              updateOf(entry.ref, { status: "failed", lastError, failureKind: "permanent", updatedAt: at }),
            ],
          };
        });
      }
      // Optimistic like every worker write: a receipt racing the `sent` record reads again.
      return optimisticUpdate(db, [msgRef], ([msg], nowMs): OptimisticDecision<ReceiptResult> => {
        const current = msg.data();
        if (!current) return { result: "unknown" };
        if (!advancesStatus(current.status, receipt.status)) return { result: "unchanged" };
        return {
          result: "advanced",
          updates: [updateOf(msgRef, { status: receipt.status, updatedAt: Timestamp.fromMillis(nowMs) })],
        };
      });
    },
  };
}
