import { Timestamp } from "firebase-admin/firestore";
import { accounts, inboundDedupe, optOuts, outbox, threadMessages, threadPeers, threads } from "@wa-gateway/data";
import { accountLeaseStore } from "../../../worker/src/accounts/accountLeaseStore";
import { inboundStore } from "../../../worker/src/inbound/inboundStore";
import { outboxStore } from "../../../worker/src/outbox/outboxStore";
import { adminDb, resetFirestore } from "../emulator";
import {
  accountData,
  ACCOUNT_LEASE_SEC,
  OUTBOX_LEASE_SEC,
  outboxData,
  outboxMessageData,
  threadData,
  type StoreWorld,
} from "./storeWorld";

/** The store contract's world over the real stores, on the emulator `npm test` starts. */
export function firestoreWorld(): StoreWorld {
  const past = () => Timestamp.fromMillis(Date.now() - 10 * 60_000);
  return {
    reset: resetFirestore,
    accountLeases: (workerId) => accountLeaseStore(adminDb(), workerId, ACCOUNT_LEASE_SEC),
    outbox: (workerId, retry) => outboxStore(adminDb(), workerId, OUTBOX_LEASE_SEC, retry),
    inbound: () => inboundStore(adminDb()),
    putAccount: async (accountId, over) => {
      await accounts.write(adminDb(), accountId).set(accountData(new Date(), over));
    },
    deleteAccount: async (accountId) => {
      await accounts.doc(adminDb(), accountId).delete();
    },
    putOutboxEntry: async (requestId, over) => {
      const entry = outboxData(requestId, new Date(), over);
      await outbox.write(adminDb(), requestId).set(entry);
      await threadMessages.write(adminDb(), entry.threadId, requestId).set(outboxMessageData(requestId, entry));
    },
    putThread: async (threadId, thread) => {
      await threads.write(adminDb(), threadId).set(threadData(thread, new Date()));
    },
    putThreadPeer: async (accountId, peerJid, threadId) => {
      await threadPeers
        .write(adminDb(), accountId, peerJid)
        .set({ accountId, peerJid, threadId, createdAt: new Date() });
    },
    putOldDedupeMarker: async (accountId, messageId, threadId) => {
      const now = Date.now();
      await inboundDedupe
        .write(adminDb(), accountId, messageId)
        .set({ accountId, messageId, threadId, createdAt: new Date(now), expireAt: new Date(now + 86_400_000) });
    },
    expireLeases: async () => {
      const db = adminDb();
      for (const doc of (await accounts.all(db).get()).docs)
        if (doc.data().owner) await db.doc(doc.ref.path).update({ "owner.leaseUntil": past() });
      for (const doc of (await outbox.all(db).get()).docs)
        if (doc.data().leaseUntil) await db.doc(doc.ref.path).update({ leaseUntil: past() });
    },
    account: async (accountId) => (await accounts.doc(adminDb(), accountId).get()).data(),
    outboxEntry: async (requestId) => (await outbox.doc(adminDb(), requestId).get()).data(),
    thread: async (threadId) => (await threads.doc(adminDb(), threadId).get()).data(),
    threadMessage: async (threadId, messageId) =>
      (await threadMessages.doc(adminDb(), threadId, messageId).get()).data(),
    optOut: async (accountId, contactJid) => (await optOuts.doc(adminDb(), accountId, contactJid).get()).data(),
  };
}
