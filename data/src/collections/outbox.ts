import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { outboxDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(outboxDocument);

/**
 * `outbox/{requestId}`. Created by the send callable (functions/src/stores/sendStore.ts); every
 * later change by the worker (worker/src/outbox/outboxStore.ts, receipts in inboundStore.ts).
 * Read by the probes and the watchdog's queue figures.
 */
export const outbox = {
  kind,
  doc: (db: Firestore, requestId: string) => kind.ref(db, paths.outboxEntry(requestId)),
  write: (db: Firestore, requestId: string) => kind.writeRef(db, paths.outboxEntry(requestId)),
  all: (db: Firestore) => kind.query(db, collections.outbox),

  /**
   * The entry sent under a WhatsApp message id, or undefined: receipts and a contact's resend
   * request name our messages by that id, not by the entry's.
   */
  async byProviderMessageId(db: Firestore, providerMessageId: string) {
    const snap = await outbox.all(db).where("providerMessageId", "==", providerMessageId).limit(1).get();
    return snap.docs[0];
  },

  /** When the account's first messages to new contacts were sent, from `sinceMs` on (the new-contact budget). */
  async firstContactsSentSince(db: Firestore, accountId: string, sinceMs: number): Promise<number[]> {
    const sent = outbox
      .all(db)
      .where("accountId", "==", accountId)
      .where("firstContact", "==", true)
      .where("sentAt", ">=", Timestamp.fromMillis(sinceMs));
    const snap = await kind.select(sent, "sentAt").get();
    return snap.docs.flatMap((doc) => doc.data().sentAt?.toMillis() ?? []);
  },

  /**
   * When the oldest queued entry was created, or null when none is queued (the outbox lag). An
   * entry held on purpose (`heldReason`: the new-contact budget, a timelock) waits by design and is
   * not lag; the queue depth still counts it.
   */
  async oldestQueuedMs(db: Firestore): Promise<number | null> {
    const queued = outbox.all(db).where("status", "==", "queued");
    const oldestOf = async (query: typeof queued) => {
      const snap = await kind.select(query.orderBy("createdAt").limit(1), "createdAt", "heldReason").get();
      return snap.docs[0]?.data();
    };
    const oldest = await oldestOf(queued);
    if (!oldest?.heldReason) return oldest?.createdAt.toMillis() ?? null;
    // Entries from before heldReason existed lack it, so the first read covers them when oldest.
    return (await oldestOf(queued.where("heldReason", "==", null)))?.createdAt.toMillis() ?? null;
  },
};
