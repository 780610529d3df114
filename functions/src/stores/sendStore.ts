import type { Firestore } from "firebase-admin/firestore";
import { paths, type SendSnapshot, type SendStore } from "@wa-gateway/core";

// A burst of identical sends contends on one outbox document; let them queue rather than fail.
const MAX_TRANSACTION_ATTEMPTS = 30;

/**
 * The send transaction: read the outbox entry; if it exists the call is a repeat (1 read).
 * Otherwise read account, thread and rate-limit counter together and write outbox entry,
 * thread message, thread and counter (3 more reads, 4 writes); a new thread also reads and
 * writes the account's thread with the peer (`threadPeers`, 1 read and 1 write more). A refused
 * send writes only the counter.
 */
export function firestoreSendStore(db: Firestore): SendStore {
  return {
    transact({ requestId, accountId, threadId, uid, toJid }, decide) {
      return db.runTransaction(
        async (tx) => {
          const outboxRef = db.doc(paths.outboxEntry(requestId));
          if ((await tx.get(outboxRef)).exists) return decide({ kind: "existing" });

          const accountRef = db.doc(paths.account(accountId));
          const threadRef = db.doc(paths.thread(threadId));
          const rateRef = db.doc(paths.rateLimit(uid));
          const [account, thread, rate] = await tx.getAll(accountRef, threadRef, rateRef);
          const peerRef = db.doc(paths.threadPeer(accountId, toJid));
          const peer = thread!.exists ? undefined : await tx.get(peerRef);
          const snap: SendSnapshot = {
            kind: "fresh",
            account: account!.exists
              ? { status: account!.get("status"), memberUids: account!.get("memberUids") ?? [] }
              : undefined,
            thread: thread!.exists
              ? {
                  ownerUid: thread!.get("ownerUid") ?? null,
                  coWriterUids: thread!.get("coWriterUids") ?? [],
                  accountId: thread!.get("accountId"),
                  peerJid: thread!.get("peerJid"),
                }
              : undefined,
            peerThreadId: peer?.exists ? (peer.get("threadId") as string) : null,
            rateLimit: rate!.exists
              ? { windowStartMs: rate!.get("windowStart").toMillis(), count: rate!.get("count") }
              : undefined,
          };
          const decision = decide(snap);
          if (decision.kind === "refused") tx.set(rateRef, decision.rateLimit);
          if (decision.kind === "accepted") {
            tx.create(outboxRef, decision.outbox);
            tx.create(db.doc(paths.threadMessage(threadId, requestId)), decision.message);
            if (decision.thread.create) tx.create(threadRef, decision.thread.fields);
            else tx.update(threadRef, decision.thread.fields);
            if (decision.thread.indexPeer)
              tx.create(peerRef, { accountId, peerJid: toJid, threadId, createdAt: new Date() });
            tx.set(rateRef, decision.rateLimit);
          }
          return decision;
        },
        { maxAttempts: MAX_TRANSACTION_ATTEMPTS },
      );
    },
  };
}
