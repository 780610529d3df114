import type { Firestore } from "firebase-admin/firestore";
import type { ThreadStore } from "@wa-gateway/core";
import { accounts, threads } from "@wa-gateway/data";

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
