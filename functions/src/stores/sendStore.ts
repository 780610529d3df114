import type { Firestore } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { GatewayError, type SendSnapshot, type SendStore, type SendThread } from "@wa-gateway/core/proxies";
import {
  accounts,
  advanceThreadSummary,
  messageTemplates,
  optOuts,
  outbox,
  rateLimits,
  readTogether,
  threadMessages,
  threadPeers,
  threads,
} from "@wa-gateway/data";

/** What the send store reports: each transaction once it ended, and a summary it could not write. */
export type SendObserver = (
  event: "send_transaction" | "thread_summary_failed",
  fields: Record<string, unknown>,
) => void;

/**
 * Bounds of one send transaction: few attempts, and no attempt starts after the deadline. Past
 * either the call answers `unavailable` and the client retries under the same clientMessageId,
 * rather than an abandoned call backing off for minutes while its client already retries.
 */
export const MAX_TRANSACTION_ATTEMPTS = 5;
export const TRANSACTION_DEADLINE_MS = 5_000;

/** A slot number in [0, maxSends) not in `known` (known.size < maxSends), at random. */
function freeSlot(known: ReadonlySet<number>, maxSends: number): number {
  // Random picks while most are free; else the free ones listed (known is never large then).
  for (let i = 0; i < 8; i++) {
    const slot = Math.floor(Math.random() * maxSends);
    if (!known.has(slot)) return slot;
  }
  const free = Array.from({ length: maxSends }, (_, i) => i).filter((i) => !known.has(i));
  return free[Math.floor(Math.random() * free.length)]!;
}

const unavailable = () =>
  new GatewayError("unavailable", "The send could not be committed in time; retry with the same clientMessageId");

const toThread = (t: SendThread | undefined): SendThread | undefined =>
  t && { ownerUid: t.ownerUid, coWriterUids: t.coWriterUids, accountId: t.accountId, peerJid: t.peerJid };

/**
 * The send's Firestore side (issue 27: no document per thread, user or account is written by
 * every send inside the transaction).
 *
 * - Before the transaction, plain reads: the outbox entry (a repeat stops here), the account and
 *   the thread. The account is rewritten by lease renewals every 10 s and the thread's summary by
 *   every message, so neither is in the transaction's read set when it needs no write: a member
 *   removed, or a co-writer dropped, in the same instant as their send may still have that one
 *   send accepted.
 * - The rate-limit slot: one create of a numbered document (`takeSlot`).
 * - The transaction reads the outbox entry and the contact's opt-out record, plus the thread and
 *   the account's thread with the peer (`threadPeers`) when the thread is new or unowned; it
 *   creates the outbox entry (the idempotency point) and the thread message, and a new thread with
 *   its `threadPeers` record, or the claim of an unowned thread. 2 reads and 2 writes for a send
 *   into an owned thread; a refusal writes nothing.
 * - After the commit: the thread's summary, moved forward only (`advanceSummary`).
 */
export function firestoreSendStore(
  db: Firestore,
  observe: SendObserver = () => {},
  bounds: { maxAttempts: number; deadlineMs: number } = {
    maxAttempts: MAX_TRANSACTION_ATTEMPTS,
    deadlineMs: TRANSACTION_DEADLINE_MS,
  },
): SendStore {
  const exists = async (requestId: string) => (await outbox.doc(db, requestId).get()).exists;
  return {
    exists,

    async takeSlot(uid, window, maxSends) {
      // Slots are taken at random among those not known taken, so a burst spreads over them; a
      // create that finds its slot taken learns one more. Full only when the count says so.
      const known = new Set<number>();
      let taken = await rateLimits.takenIn(db, uid, window.index);
      for (;;) {
        if (taken >= maxSends || known.size >= maxSends) return false;
        const slot = freeSlot(known, maxSends);
        try {
          await rateLimits
            .slot(db, uid, window.index, slot)
            .create({ uid, windowStart: window.start, expireAt: window.expireAt });
          return true;
        } catch (err) {
          if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
          known.add(slot);
          if (known.size % 5 === 0) taken = await rateLimits.takenIn(db, uid, window.index);
        }
      }
    },

    async transact({ requestId, accountId, threadId, uid, toJid, templateId }, decide) {
      let attempts = 0;
      const started = Date.now();
      const report = (outcome: string) =>
        observe("send_transaction", { requestId, uid, attempts, ms: Date.now() - started, outcome });
      const [accountSnap, threadSnap] = await readTogether(db, [
        accounts.doc(db, accountId),
        threads.doc(db, threadId),
      ]);
      const a = accountSnap.data();
      const account = a && { status: a.status, memberUids: a.memberUids, transport: a.transport };
      // A Cloud API account's window (a text) or its template (a template send), read outside the
      // transaction like the account: advisory, Meta decides in the end.
      const cloudApi = a?.transport === "cloud_api";
      const serviceWindow =
        cloudApi && templateId === undefined
          ? {
              customerWroteAtMs:
                (await threadMessages.newestInbound(db, threadId).get()).docs[0]?.data().createdAt.toMillis() ?? null,
            }
          : undefined;
      const template =
        cloudApi && templateId !== undefined
          ? ((await messageTemplates.doc(db, accountId, templateId).get()).data() ?? null)
          : undefined;
      const outside = toThread(threadSnap.data());
      // Only a thread the send may create or claim is decided inside the transaction.
      const threadInTx = outside === undefined || outside.ownerUid === null;

      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(unavailable()), bounds.deadlineMs);
      });
      const run = db.runTransaction(
        async (tx) => {
          attempts += 1;
          if (attempts > 1 && Date.now() - started > bounds.deadlineMs) throw unavailable();
          const [entry, optOut, thread] = await readTogether(tx, [
            outbox.doc(db, requestId),
            optOuts.doc(db, accountId, toJid),
            ...(threadInTx ? [threads.doc(db, threadId)] : []),
          ]);
          if (entry.exists) return decide({ kind: "existing" });
          const current = threadInTx ? toThread(thread!.data()) : outside;
          const peer = current ? undefined : (await tx.get(threadPeers.doc(db, accountId, toJid))).data();
          const o = optOut.data();
          const snap: SendSnapshot = {
            kind: "fresh",
            account,
            thread: current,
            peerThreadId: peer?.threadId ?? null,
            optOut: o && { keyword: o.keyword },
            ...(serviceWindow ? { serviceWindow } : {}),
            ...(template !== undefined ? { template } : {}),
          };
          const decision = decide(snap);
          if (decision.kind !== "accepted") return decision;
          tx.create(outbox.write(db, requestId), decision.outbox);
          tx.create(threadMessages.write(db, threadId, requestId), decision.message);
          if (decision.thread.create) {
            tx.create(threads.write(db, threadId), decision.thread.fields);
            if (decision.thread.indexPeer)
              tx.create(threadPeers.write(db, accountId, toJid), {
                accountId,
                peerJid: toJid,
                threadId,
                createdAt: new Date(),
              });
          } else if (decision.thread.claimBy !== null) {
            tx.update(threads.doc(db, threadId), { ownerUid: decision.thread.claimBy, updatedAt: new Date() });
          }
          return decision;
        },
        { maxAttempts: bounds.maxAttempts },
      );
      try {
        const decision = await Promise.race([run, deadline]);
        report(decision.kind);
        return decision;
      } catch (err) {
        // An identical call that won the outbox entry makes this one a repeat, not a failure.
        if (await exists(requestId).catch(() => false)) {
          report("duplicate");
          return decide({ kind: "existing" });
        }
        if (err instanceof GatewayError && err.code !== "unavailable") throw err;
        const code = grpcStatusOf(err);
        report(err instanceof GatewayError ? "deadline" : `error_${code ?? "unknown"}`);
        if (err instanceof GatewayError) throw err;
        if (
          code === GrpcStatus.ABORTED ||
          code === GrpcStatus.UNAVAILABLE ||
          code === GrpcStatus.DEADLINE_EXCEEDED ||
          code === GrpcStatus.RESOURCE_EXHAUSTED
        )
          throw unavailable();
        throw err;
      } finally {
        clearTimeout(timer);
        // The abandoned run (after the deadline) ends on its own within its attempts; nobody awaits it.
        run.catch(() => {});
      }
    },

    async advanceSummary(threadId, summary) {
      try {
        const result = await advanceThreadSummary(db, threadId, summary, new Date());
        if (result === "advanced" || result === "newer") return result;
        observe("thread_summary_failed", { threadId, reason: result });
      } catch (err) {
        observe("thread_summary_failed", { threadId, reason: String((err as Error)?.message ?? err) });
      }
      return "failed";
    },
  };
}
