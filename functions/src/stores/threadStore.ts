import type { Firestore } from "firebase-admin/firestore";
import type { ClaimAttempts, ThreadStore } from "@wa-gateway/core/proxies";
import { accounts, claimAttempts, threads } from "@wa-gateway/data";

/**
 * The claim bound: each attempt is its own new document (TTL `expireAt`) and the caller's recent
 * ones are counted with an aggregation query, so no document is written by every call. Not
 * transactional: a burst of concurrent calls may pass the bound by the burst's size, no more.
 */
export function firestoreClaimAttempts(db: Firestore): ClaimAttempts {
  return {
    async record(uid, now, since) {
      const windowMs = now.getTime() - since.getTime();
      await claimAttempts.create(db).create({ uid, at: now, expireAt: new Date(now.getTime() + 2 * windowMs) });
      return (await claimAttempts.byCallerSince(db, uid, since).count().get()).data().count;
    },
  };
}

/** `threads/{threadId}` for the thread callables, read with its account in one transaction. */
export function firestoreThreadStore(db: Firestore): ThreadStore {
  return {
    update(threadId, decide) {
      return db.runTransaction(async (tx) => {
        const thread = (await tx.get(threads.doc(db, threadId))).data();
        const account = thread ? (await tx.get(accounts.doc(db, thread.accountId))).data() : undefined;
        const { fields, result } = decide(
          thread && { ownerUid: thread.ownerUid, coWriterUids: thread.coWriterUids, accountId: thread.accountId },
          account && { memberUids: account.memberUids },
        );
        if (fields) tx.update(threads.doc(db, threadId), fields);
        return result;
      });
    },
  };
}
