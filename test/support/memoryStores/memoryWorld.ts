import { inboundDedupeId } from "@wa-gateway/core";
import { stored, MemoryDatabase } from "./memoryDatabase";
import { memoryAccountLeaseStore } from "./memoryAccountLeaseStore";
import { memoryInboundStore } from "./memoryInboundStore";
import { memoryOutboxStore } from "./memoryOutboxStore";
import {
  accountData,
  ACCOUNT_LEASE_SEC,
  OUTBOX_LEASE_SEC,
  outboxData,
  outboxMessageData,
  threadData,
  type StoreWorld,
} from "../storeContract/storeWorld";
import type {
  AccountDocument,
  OutboxDocument,
  ThreadDocument,
  ThreadMessageDocument,
} from "@wa-gateway/core/documents";

/** The store contract's world over the in-memory fakes; `db()` is the current database. */
export function memoryWorld(): StoreWorld & { db(): MemoryDatabase } {
  let db = new MemoryDatabase();
  const nowDate = () => new Date(db.clock.now());
  return {
    db: () => db,
    reset: async () => {
      db = new MemoryDatabase();
    },
    accountLeases: (workerId) => memoryAccountLeaseStore(db, workerId, ACCOUNT_LEASE_SEC),
    outbox: (workerId, retry) => memoryOutboxStore(db, workerId, OUTBOX_LEASE_SEC, retry),
    inbound: () => memoryInboundStore(db),
    putAccount: async (accountId, over) =>
      db.putAccount(accountId, stored(accountData(nowDate(), over)) as AccountDocument),
    deleteAccount: async (accountId) => db.deleteAccount(accountId),
    putOutboxEntry: async (requestId, over) => {
      const entry = outboxData(requestId, nowDate(), over);
      db.putOutbox(requestId, stored(entry) as OutboxDocument);
      db.setMessage(entry.threadId, requestId, stored(outboxMessageData(requestId, entry)) as ThreadMessageDocument);
    },
    putThread: async (threadId, thread) => {
      db.threads.set(threadId, stored(threadData(thread, nowDate())) as unknown as ThreadDocument);
    },
    putThreadPeer: async (accountId, peerJid, threadId) => {
      db.threadPeers.set(`${accountId}__${peerJid}`, { accountId, peerJid, threadId, createdAt: db.now() });
    },
    putOldDedupeMarker: async (accountId, messageId, threadId) => {
      const at = db.now();
      db.inboundDedupe.set(inboundDedupeId(accountId, messageId), {
        accountId,
        messageId,
        threadId,
        createdAt: at,
        expireAt: at,
      });
    },
    expireLeases: async () => db.clock.advance(10 * 60_000),
    account: async (accountId) => db.accounts.get(accountId),
    outboxEntry: async (requestId) => db.outbox.get(requestId),
    thread: async (threadId) => db.threads.get(threadId),
    threadMessage: async (threadId, messageId) => db.message(threadId, messageId),
    optOut: async (accountId, contactJid) => db.optOuts.get(`${accountId}__${contactJid}`),
  };
}
