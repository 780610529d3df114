import type { Firestore } from "firebase-admin/firestore";
import { paths, type ThreadStore } from "@wa-gateway/core";

/** `threads/{threadId}` for the thread callables, read with its account in one transaction. */
export function firestoreThreadStore(db: Firestore): ThreadStore {
  return {
    update(threadId, decide) {
      return db.runTransaction(async (tx) => {
        const threadRef = db.doc(paths.thread(threadId));
        const thread = await tx.get(threadRef);
        const accountId = thread.get("accountId") as string | undefined;
        const account = accountId ? await tx.get(db.doc(paths.account(accountId))) : undefined;
        const { fields, result } = decide(
          thread.exists
            ? {
                ownerUid: thread.get("ownerUid") ?? null,
                coWriterUids: thread.get("coWriterUids") ?? [],
                accountId: accountId ?? "",
              }
            : undefined,
          account?.exists ? { memberUids: account.get("memberUids") ?? [] } : undefined,
        );
        if (fields) tx.update(threadRef, fields);
        return result;
      });
    },
  };
}
