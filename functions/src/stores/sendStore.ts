import type { Firestore } from "firebase-admin/firestore";
import type { SendSnapshot, SendStore } from "@wa-gateway/core/proxies";
import {
  accounts,
  optOuts,
  outbox,
  rateLimits,
  readTogether,
  threadMessages,
  threadPeers,
  threads,
} from "@wa-gateway/data";

/** One send transaction, once it ended: how many attempts it took (contention shows here). */
export type SendObserver = (stats: { requestId: string; attempts: number; ms: number; outcome: string }) => void;

// A burst of identical sends contends on one outbox document; let them queue rather than fail.
const MAX_TRANSACTION_ATTEMPTS = 30;

/**
 * The send transaction: read the outbox entry; if it exists the call is a repeat (1 read).
 * Otherwise read account, thread, rate-limit counter and the contact's opt-out record (`optOuts`)
 * together and write outbox entry, thread message, thread and counter (4 more reads, 4 writes);
 * a new thread also reads and writes the account's thread with the peer (`threadPeers`, 1 read
 * and 1 write more). A refused send (an opted-out contact too) writes only the counter.
 */
export function firestoreSendStore(db: Firestore, observe: SendObserver = () => {}): SendStore {
  return {
    async transact({ requestId, accountId, threadId, uid, toJid }, decide) {
      let attempts = 0;
      const started = Date.now();
      const report = (outcome: string) => observe({ requestId, attempts, ms: Date.now() - started, outcome });
      try {
        const decision = await db.runTransaction(
          async (tx) => {
            attempts += 1;
            if ((await tx.get(outbox.doc(db, requestId))).exists) return decide({ kind: "existing" });

            const [account, thread, rate, optOut] = await readTogether(tx, [
              accounts.doc(db, accountId),
              threads.doc(db, threadId),
              rateLimits.doc(db, uid),
              optOuts.doc(db, accountId, toJid),
            ]);
            const peer = thread.exists ? undefined : (await tx.get(threadPeers.doc(db, accountId, toJid))).data();
            const a = account.data();
            const t = thread.data();
            const r = rate.data();
            const o = optOut.data();
            const snap: SendSnapshot = {
              kind: "fresh",
              account: a && { status: a.status, memberUids: a.memberUids },
              thread: t && {
                ownerUid: t.ownerUid,
                coWriterUids: t.coWriterUids,
                accountId: t.accountId,
                peerJid: t.peerJid,
              },
              peerThreadId: peer?.threadId ?? null,
              rateLimit: r && { windowStartMs: r.windowStart.toMillis(), count: r.count },
              optOut: o && { keyword: o.keyword },
            };
            const decision = decide(snap);
            if (decision.kind === "refused") tx.set(rateLimits.write(db, uid), decision.rateLimit);
            if (decision.kind === "accepted") {
              tx.create(outbox.write(db, requestId), decision.outbox);
              tx.create(threadMessages.write(db, threadId, requestId), decision.message);
              if (decision.thread.create) tx.create(threads.write(db, threadId), decision.thread.fields);
              else tx.update(threads.doc(db, threadId), decision.thread.fields);
              if (decision.thread.indexPeer)
                tx.create(threadPeers.write(db, accountId, toJid), {
                  accountId,
                  peerJid: toJid,
                  threadId,
                  createdAt: new Date(),
                });
              tx.set(rateLimits.write(db, uid), decision.rateLimit);
            }
            return decision;
          },
          { maxAttempts: MAX_TRANSACTION_ATTEMPTS },
        );
        report(decision.kind);
        return decision;
      } catch (err) {
        report("error");
        throw err;
      }
    },
  };
}
