import type { Firestore } from "firebase-admin/firestore";
import type { MediaUrlDeps } from "@wa-gateway/core/proxies";
import { accounts, threadMessages, threads } from "@wa-gateway/data";

/** The thread, its account and the message, for whatsappProxyGetMediaUrl (plain reads: nothing is written). */
export function firestoreMediaUrlReads(db: Firestore): MediaUrlDeps["read"] {
  return async (threadId, messageId) => {
    const thread = (await threads.doc(db, threadId).get()).data();
    if (!thread) return undefined;
    const [account, message] = await Promise.all([
      accounts.doc(db, thread.accountId).get(),
      threadMessages.doc(db, threadId, messageId).get(),
    ]);
    const m = message.data();
    return {
      thread: { ownerUid: thread.ownerUid, coWriterUids: thread.coWriterUids, accountId: thread.accountId },
      account: account.data() && { memberUids: account.data()!.memberUids },
      message: m && { media: m.media, mediaStatus: m.mediaStatus, deleted: m.deleted },
    };
  };
}
