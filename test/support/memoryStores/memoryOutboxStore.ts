import { Timestamp } from "firebase-admin/firestore";
import { type LeaseWrite } from "@wa-gateway/core";
import { type MessageStatus, type OutboxDocument } from "@wa-gateway/core/documents";
import {
  advancesStatus,
  backlogFields,
  claimability,
  decideClaim,
  failureFields,
  gaveUpFields,
  holdsSendLease,
  type ClaimResult,
  type RetryPolicy,
} from "@wa-gateway/core/outbox";
import { FINISHED_RETENTION_DAYS } from "../../../worker/src/outbox/outboxStore";
import {
  claimedEntryOf,
  leaseView,
  pendingEntryOf,
  type ClaimedEntry,
  type OutboxStore,
  type PendingEntry,
} from "../../../worker/src/outbox/outboxPort";
import { roundTrip, stored, type MemoryDatabase } from "./memoryDatabase";

/**
 * The outbox's worker side over a MemoryDatabase, deciding with the same core lifecycle
 * functions as Firestore's store (claimability, claimFields, failureFields, ...); each call reads
 * and writes in one step, as an optimistic update that met no conflict.
 */
export function memoryOutboxStore(
  db: MemoryDatabase,
  workerId: string,
  leaseSec: number,
  retry: RetryPolicy,
): OutboxStore {
  const retained = (nowMs: number) => Timestamp.fromMillis(nowMs + FINISHED_RETENTION_DAYS * 86_400_000);

  function write(requestId: string, data: OutboxDocument, fields: Partial<OutboxDocument> | object): void {
    db.putOutbox(requestId, { ...data, ...stored(fields as Partial<OutboxDocument>) });
  }

  /** The entry's thread message moves forward to `next` (never backward), if it exists. */
  function advanceMessage(threadId: string, requestId: string, next: MessageStatus, nowMs: number): void {
    const msg = db.message(threadId, requestId);
    if (msg && advancesStatus(msg.status, next))
      db.setMessage(threadId, requestId, { ...msg, status: next, updatedAt: Timestamp.fromMillis(nowMs) });
  }

  /** `missing` and `fenced` answered here; the rest by `then`, only under this worker's lease `epoch`. */
  async function underLease<R>(
    requestId: string,
    epoch: number,
    then: (data: OutboxDocument, nowMs: number) => R,
  ): Promise<R | Exclude<LeaseWrite, "written">> {
    await roundTrip();
    const data = db.outbox.get(requestId);
    if (!data) return "missing";
    if (!holdsSendLease(leaseView(data), workerId, epoch)) return "fenced";
    return then(data, db.clock.now());
  }

  function pendingNow(accountId: string): PendingEntry[] {
    return [...db.outbox.entries()]
      .filter(([, d]) => d.accountId === accountId && (d.status === "queued" || d.status === "processing"))
      .sort(([, a], [, b]) => a.createdAt.toMillis() - b.createdAt.toMillis())
      .flatMap(([id, d]) => pendingEntryOf(id, d) ?? []);
  }

  async function pendingOf(accountId: string, page: number) {
    await roundTrip();
    const all = pendingNow(accountId);
    return { entries: all.slice(0, page), full: Math.min(all.length, page) >= page };
  }

  return {
    pendingOf,

    watchQueued(accountIds, window, onEntry) {
      let live = true;
      const queued = () =>
        [...db.outbox.entries()]
          .filter(([, d]) => d.status === "queued" && accountIds.includes(d.accountId))
          .sort(([, a], [, b]) => a.createdAt.toMillis() - b.createdAt.toMillis())
          .slice(0, window);
      const onChange = (collection: string, requestId: string) => {
        if (collection !== "outbox") return;
        const inWindow = queued().find(([id]) => id === requestId);
        if (inWindow) setImmediate(() => live && onEntry(pendingEntryOf(requestId, inWindow[1])!));
      };
      setImmediate(() => {
        if (!live) return;
        for (const [id, d] of queued()) onEntry(pendingEntryOf(id, d)!);
        db.on("change", onChange);
      });
      return () => {
        live = false;
        db.off("change", onChange);
      };
    },

    async claim(requestId, threadId): Promise<ClaimResult<ClaimedEntry>> {
      await roundTrip();
      const data = db.outbox.get(requestId);
      if (!data) return { kind: "missing" };
      const nowMs = db.clock.now();
      const view = leaseView(data);
      const decided = decideClaim(view, { workerId, nowMs, leaseSec, maxAttempts: retry.maxAttempts });
      if (decided.kind === "exhausted") {
        write(requestId, data, { ...gaveUpFields(view, nowMs), expireAt: retained(nowMs) });
        advanceMessage(threadId, requestId, "failed", nowMs);
        return { kind: "gave_up", attempts: view.attempts };
      }
      if (decided.kind === "held") return decided;
      const { fields, takeover } = decided;
      const { leaseEpoch: epoch, attempts: attempt } = fields;
      write(requestId, data, fields);
      return { kind: "claimed", epoch, attempt, takeover, entry: claimedEntryOf(requestId, data, epoch, attempt) };
    },

    renew: (requestId, epoch) =>
      underLease(requestId, epoch, (data, nowMs) => {
        write(requestId, data, { leaseUntil: Timestamp.fromMillis(nowMs + leaseSec * 1000) });
        return "written" as const;
      }),

    finish: (requestId, epoch, threadId) =>
      underLease(requestId, epoch, (data, nowMs) => {
        const now = Timestamp.fromMillis(nowMs);
        write(requestId, data, {
          status: "sent",
          sentAt: now,
          leaseUntil: null,
          lastError: null,
          updatedAt: now,
          expireAt: retained(nowMs),
        });
        advanceMessage(threadId, requestId, "sent", nowMs);
        return "written" as const;
      }),

    fail: (requestId, epoch, threadId, failure) =>
      underLease(requestId, epoch, (data, nowMs) => {
        const fields = failureFields(leaseView(data), failure, nowMs, retry);
        if (fields.status !== "failed") {
          write(requestId, data, fields);
          return "retrying" as const;
        }
        write(requestId, data, { ...fields, expireAt: retained(nowMs) });
        advanceMessage(threadId, requestId, "failed", nowMs);
        return "failed" as const;
      }),

    async failBacklog(accountId, reason, page) {
      const { entries, full } = await pendingOf(accountId, page);
      let failed = 0;
      let left = 0;
      for (const pending of entries) {
        await roundTrip();
        const data = db.outbox.get(pending.requestId);
        if (!data) continue;
        const nowMs = db.clock.now();
        const why = claimability(leaseView(data), nowMs, Number.POSITIVE_INFINITY);
        if (why === "final") continue;
        if (why === "leased") {
          left++;
          continue;
        }
        write(pending.requestId, data, { ...backlogFields(reason, nowMs), expireAt: retained(nowMs) });
        advanceMessage(pending.threadId, pending.requestId, "failed", nowMs);
        failed++;
      }
      return { failed, more: left > 0 || full };
    },

    async sentMessage(accountId, providerMessageId, maxAgeMs) {
      await roundTrip();
      const data = [...db.outbox.values()].find((d) => d.providerMessageId === providerMessageId);
      if (!data || data.accountId !== accountId) return undefined;
      if (data.status !== "sent" && data.status !== "processing") return undefined;
      const atMs = (data.sentAt ?? data.createdAt).toMillis();
      return db.clock.now() - atMs <= maxAgeMs
        ? { text: data.text, toJid: data.toJid, hasMedia: !!data.media }
        : undefined;
    },

    async reschedule(requestId, untilMs, reason) {
      await roundTrip();
      const data = db.outbox.get(requestId);
      if (!data) return "missing";
      if (data.status !== "queued") return "not_queued";
      const now = db.clock.now();
      write(requestId, data, {
        nextAttemptAt: Timestamp.fromMillis(untilMs),
        heldReason: reason,
        updatedAt: Timestamp.fromMillis(now),
      });
      return "written";
    },

    async firstContactsSentSince(accountId, sinceMs) {
      await roundTrip();
      return [...db.outbox.values()].flatMap((d) =>
        d.accountId === accountId && d.firstContact && d.sentAt && d.sentAt.toMillis() >= sinceMs
          ? [d.sentAt.toMillis()]
          : [],
      );
    },

    release: (requestId, epoch) =>
      underLease(requestId, epoch, (data, nowMs) => {
        const now = Timestamp.fromMillis(nowMs);
        write(requestId, data, {
          status: "queued",
          claimedBy: null,
          leaseUntil: null,
          nextAttemptAt: now,
          attempts: data.attempts - 1,
          updatedAt: now,
        });
        return "written" as const;
      }),
  };
}
