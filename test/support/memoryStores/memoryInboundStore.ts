import { advancesStatus, refusedByWhatsApp } from "@wa-gateway/core/outbox";
import type { OptOutDocument, ThreadDocument, ThreadMessageDocument } from "@wa-gateway/core/documents";
import type { InboundStore, ReceiptResult } from "../../../worker/src/inbound/inboundStore";
import type { InboundDb } from "../../../worker/src/inbound/inboundDb";
import { storeInbound, storedAlready } from "../../../worker/src/inbound/inboundPlan";
import type { OptOutOptions } from "../../../worker/src/inbound/optOutWrites";
import { roundTrip, stored, type MemoryDatabase } from "./memoryDatabase";

/**
 * inboundPlan's reads and its one commit over a MemoryDatabase, with Firestore's semantics: a
 * document's version is the object stored (every write replaces it), a create of an existing
 * document or an update of a changed one makes the whole commit conflict.
 */
function memoryInboundDb(db: MemoryDatabase): InboundDb {
  const peerKey = (accountId: string, jid: string) => `${accountId}__${jid}`;
  const versioned = <T>(data: T | undefined) => (data === undefined ? undefined : { data, version: data });
  const messageKey = (threadId: string, docId: string) => `${threadId}/${docId}`;
  return {
    async begin(accountId, jids, usualThreadId, oldMarkerId, pendingFor) {
      await roundTrip();
      return {
        nowMs: db.now().toMillis(),
        peers: jids.map((jid) => db.threadPeers.get(peerKey(accountId, jid))),
        usual: versioned(db.threads.get(usualThreadId)),
        oldMarker: oldMarkerId ? db.inboundDedupe.get(oldMarkerId) : undefined,
        pending: [...db.inboundPending]
          .filter(([, p]) => pendingFor !== null && p.accountId === accountId && p.targetId === pendingFor)
          .map(([id, data]) => ({ id, data })),
      };
    },
    async thread(threadId) {
      await roundTrip();
      return versioned(db.threads.get(threadId));
    },
    async marker(markerId) {
      await roundTrip();
      return db.inboundDedupe.get(markerId);
    },
    async message(threadId, docId) {
      await roundTrip();
      return versioned(db.message(threadId, docId));
    },
    async outbound(threadId, providerMessageId) {
      await roundTrip();
      for (const [key, data] of db.threadMessages) {
        const [t, docId] = key.split("/") as [string, string];
        if (t === threadId && data.direction === "out" && data.providerMessageId === providerMessageId)
          return { docId, data, version: data };
      }
      return undefined;
    },
    async optOuts(accountId, jids) {
      await roundTrip();
      return jids.map((jid) => db.optOuts.get(peerKey(accountId, jid)));
    },
    async commit(writes) {
      await roundTrip();
      const exists = (w: (typeof writes)[number]): boolean => {
        switch (w.kind) {
          case "marker":
            return db.inboundDedupe.has(w.id);
          case "peer":
            return db.threadPeers.has(peerKey(w.accountId, w.jid));
          case "newThread":
            return db.threads.has(w.threadId);
          case "newMessage":
            return db.threadMessages.has(messageKey(w.threadId, w.docId));
          case "newPending":
            return db.inboundPending.has(w.id);
          case "thread":
            return db.threads.get(w.threadId) !== w.version;
          case "message":
            return db.message(w.threadId, w.docId) !== w.version;
          case "newMediaDownload":
            return db.mediaDownloads.has(`${w.data.accountId}__${w.data.threadId}__${w.data.messageDocId}`);
          case "donePending":
          case "optOut":
          case "optIn":
            return false;
        }
      };
      if (writes.some(exists)) return "conflict";
      for (const w of writes) {
        switch (w.kind) {
          case "marker":
            db.inboundDedupe.set(w.id, w.data as never);
            db.changed("inbound", w.id);
            break;
          case "peer":
            db.threadPeers.set(peerKey(w.accountId, w.jid), w.data as never);
            break;
          case "newThread":
            db.threads.set(w.threadId, w.data as ThreadDocument);
            break;
          case "thread":
            db.threads.set(w.threadId, { ...db.threads.get(w.threadId)!, ...(w.data as Partial<ThreadDocument>) });
            break;
          case "newMessage":
            db.setMessage(w.threadId, w.docId, w.data as ThreadMessageDocument);
            break;
          case "message":
            db.setMessage(w.threadId, w.docId, {
              ...db.message(w.threadId, w.docId)!,
              ...(w.data as Partial<ThreadMessageDocument>),
            });
            break;
          case "newPending":
            db.inboundPending.set(w.id, w.data as never);
            break;
          case "donePending":
            db.inboundPending.delete(w.id);
            break;
          case "newMediaDownload":
            db.mediaDownloads.set(`${w.data.accountId}__${w.data.threadId}__${w.data.messageDocId}`, w.data as never);
            break;
          case "optOut":
            db.optOuts.set(peerKey(w.accountId, w.jid), stored(w.data) as OptOutDocument);
            break;
          case "optIn":
            db.optOuts.delete(peerKey(w.accountId, w.jid));
            break;
        }
      }
      return "committed";
    },
  };
}

/** Inbound messages over a MemoryDatabase, decided by the same plan as Firestore's store. */
export function memoryInboundStore(db: MemoryDatabase, optOut: OptOutOptions = {}): InboundStore {
  const inboundDb = memoryInboundDb(db);
  return {
    store: (accountId, message) => storeInbound(inboundDb, accountId, message, optOut),
    stored: (accountId, ref) => storedAlready(inboundDb, accountId, ref),

    async receipt(accountId, receipt): Promise<ReceiptResult> {
      await roundTrip();
      const entry = [...db.outbox.entries()].find(([, d]) => d.providerMessageId === receipt.messageId);
      if (!entry || entry[1].accountId !== accountId) return "unknown";
      const [requestId, data] = entry;
      const msg = db.message(data.threadId, requestId);
      const now = db.now();
      if (receipt.status === "failed") {
        if (!msg || (msg.status !== "queued" && msg.status !== "sent")) return "unchanged";
        const lastError = refusedByWhatsApp(receipt.code);
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
