import { Timestamp, type DocumentData, type Firestore, type UpdateData } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { advancesStatus, refusedByWhatsApp } from "@wa-gateway/core/outbox";
import {
  advanceThreadSummary,
  inboundDedupe,
  inboundPending,
  mediaDownloads,
  optOuts,
  outbox,
  readTogether,
  threadMessages,
  threadPeers,
  threads,
} from "@wa-gateway/data";
import { optimisticUpdate, updateOf, type OptimisticDecision } from "../optimistic";
import type { InboundMessage, InboundRef, Receipt } from "../transport/transport";
import type { InboundDb } from "./inboundDb";
import { storeInbound, storedAlready, type InboundResult } from "./inboundPlan";
import type { OptOutOptions } from "./optOutWrites";

export { DEDUPE_RETENTION_DAYS, type InboundResult } from "./inboundPlan";
export type ReceiptResult = "advanced" | "unchanged" | "unknown";

/**
 * Inbound messages stored exactly once (dedupe by chat, sender and message id; inboundPlan.ts
 * decides) and receipts moving outgoing messages forward: Firestore's is inboundStore below; tests
 * have an in-memory one (test/support/memoryStores).
 */
export interface InboundStore {
  /** Stores the message (or applies its reaction, edit or deletion), its thread and the dedupe marker; a replay: `duplicate`. */
  store(accountId: string, message: InboundMessage): Promise<InboundResult>;
  /** Whether a message delivered again (and unreadable now: its keys are used) was stored before. */
  stored(accountId: string, ref: InboundRef): Promise<boolean>;
  /** Moves the outgoing message with this provider id forward (never backward); `failed` also fails its entry. */
  receipt(accountId: string, receipt: Receipt): Promise<ReceiptResult>;
}

/**
 * inboundPlan's reads and its one commit over Firestore. The commit is a batch: created documents
 * (`create`: a replay or a racing worker conflicts with ALREADY_EXISTS) and updates that hold only
 * if the document is unchanged since it was read (update-time preconditions, FAILED_PRECONDITION);
 * no locking transaction (core/src/leases.ts says why).
 */
function firestoreInboundDb(db: Firestore): InboundDb {
  const versioned = <T>(snap: { data(): T | undefined; updateTime?: Timestamp }) => {
    const data = snap.data();
    return data === undefined ? undefined : { data, version: snap.updateTime };
  };
  return {
    async begin(accountId, jids, usualThreadId, oldMarkerId, pendingFor) {
      const [[usual, ...rest], pending] = await Promise.all([
        readTogether(db, [
          threads.doc(db, usualThreadId),
          ...jids.map((jid) => threadPeers.doc(db, accountId, jid)),
          ...(oldMarkerId ? [inboundDedupe.byId(db, oldMarkerId)] : []),
        ]),
        pendingFor ? inboundPending.forTarget(db, accountId, pendingFor).get() : undefined,
      ]);
      const peers = rest.slice(0, jids.length).map((snap) => snap.data() as never);
      const oldMarker = oldMarkerId ? (rest[jids.length]!.data() as never) : undefined;
      return {
        nowMs: usual!.readTime.toMillis(),
        peers,
        usual: versioned(usual!),
        oldMarker,
        pending: pending?.docs.map((d) => ({ id: d.id, data: d.data() })) ?? [],
      };
    },
    async thread(threadId) {
      return versioned(await threads.doc(db, threadId).get());
    },
    async marker(markerId) {
      return (await inboundDedupe.byId(db, markerId).get()).data();
    },
    async message(threadId, docId) {
      return versioned(await threadMessages.doc(db, threadId, docId).get());
    },
    async outbound(threadId, providerMessageId) {
      const [doc] = (await threadMessages.outboundUnder(db, threadId, providerMessageId).limit(1).get()).docs;
      return doc && { docId: doc.id, data: doc.data(), version: doc.updateTime };
    },
    async optOuts(accountId, jids) {
      const snaps = await readTogether(
        db,
        jids.map((jid) => optOuts.doc(db, accountId, jid)),
      );
      return snaps.map((snap) => snap.data());
    },
    async commit(writes) {
      // The thread's last-message fields move after the message is stored, forward only and not
      // in this batch: else every send's summary write to a busy thread would conflict the batch
      // (its update-time precondition) and store the message again (issue 27).
      const summaries = writes.filter(
        (w): w is Extract<typeof w, { kind: "thread" }> => w.kind === "thread" && "lastMessageAt" in w.data,
      );
      const batch = db.batch();
      const update = <T extends DocumentData>(
        ref: FirebaseFirestore.DocumentReference<T>,
        data: object,
        version: unknown,
      ) => batch.update(ref as never, data as UpdateData<DocumentData>, { lastUpdateTime: version as Timestamp });
      for (const w of writes) {
        switch (w.kind) {
          case "marker":
            batch.create(inboundDedupe.writeById(db, w.id), w.data);
            break;
          case "peer":
            batch.create(threadPeers.write(db, w.accountId, w.jid), w.data);
            break;
          case "newThread":
            batch.create(threads.write(db, w.threadId), w.data);
            break;
          case "thread":
            if (!summaries.includes(w)) update(threads.doc(db, w.threadId), w.data, w.version);
            break;
          case "newMessage":
            batch.create(threadMessages.write(db, w.threadId, w.docId), w.data);
            break;
          case "message":
            update(threadMessages.doc(db, w.threadId, w.docId), w.data, w.version);
            break;
          case "newPending":
            batch.create(inboundPending.write(db, w.id), w.data);
            break;
          case "donePending":
            batch.delete(inboundPending.doc(db, w.id));
            break;
          case "newMediaDownload":
            batch.create(mediaDownloads.write(db, w.data.accountId, w.data.threadId, w.data.messageDocId), w.data);
            break;
          case "optOut":
            batch.set(optOuts.write(db, w.accountId, w.jid), w.data);
            break;
          case "optIn":
            batch.delete(optOuts.doc(db, w.accountId, w.jid));
            break;
        }
      }
      try {
        await batch.commit();
      } catch (err) {
        const code = grpcStatusOf(err);
        if (code === GrpcStatus.ALREADY_EXISTS || code === GrpcStatus.FAILED_PRECONDITION) return "conflict";
        throw err;
      }
      for (const w of summaries) {
        const at = w.data.lastMessageAt as Timestamp | Date;
        // Best effort: the message is stored; a summary left behind is caught up by the next message.
        await advanceThreadSummary(
          db,
          w.threadId,
          { lastMessageAt: at instanceof Date ? at : at.toDate(), lastMessagePreview: w.data.lastMessagePreview! },
          new Date(),
        ).catch(() => "failed");
      }
      return "committed";
    },
  };
}

/** `optOut`: the opt-out and opt-in keywords (the worker's OPT_OUT_KEYWORDS, OPT_IN_KEYWORDS), and who hears of a change. */
export function inboundStore(db: Firestore, optOut: OptOutOptions = {}): InboundStore {
  const inboundDb = firestoreInboundDb(db);
  return {
    store: (accountId, message) => storeInbound(inboundDb, accountId, message, optOut),
    stored: (accountId, ref) => storedAlready(inboundDb, accountId, ref),

    /** Moves an outgoing message's status forward on a delivery or read receipt (never backward). */
    async receipt(accountId: string, receipt: Receipt): Promise<ReceiptResult> {
      const entry = await outbox.byProviderMessageId(db, receipt.messageId);
      if (!entry || entry.data().accountId !== accountId) return "unknown";
      const msgRef = threadMessages.doc(db, entry.data().threadId, entry.id);
      if (receipt.status === "failed") {
        // An ERROR ack: WhatsApp took the message, then refused it. Final, not retried, and not
        // requeued unless an operator insists (permanent).
        const lastError = refusedByWhatsApp(receipt.code);
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
