import {
  type AccountDocument,
  type OptOutDocument,
  type OutboxDocument,
  type ThreadDocument,
  type ThreadMessageDocument,
  type WrittenDocument,
} from "@wa-gateway/core/documents";
import { type RetryPolicy } from "@wa-gateway/core/outbox";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import type { AccountLeaseStore } from "../../../worker/src/accounts/accountLeaseStore";
import type { InboundStore } from "../../../worker/src/inbound/inboundStore";
import type { OutboxStore } from "../../../worker/src/outbox/outboxPort";

export const ACCOUNT_LEASE_SEC = 30;
export const OUTBOX_LEASE_SEC = 60;

/**
 * A database and the worker's stores over it: Firestore's on the emulator, or the in-memory
 * fakes. The store contract runs the same tests over both, so the fakes cannot drift.
 */
export interface StoreWorld {
  /** An empty database, before each test. */
  reset(): Promise<void>;
  accountLeases(workerId: string): AccountLeaseStore;
  outbox(workerId: string, retry: RetryPolicy): OutboxStore;
  inbound(): InboundStore;
  /** Writes an account document as the add-account callable would, with `over` on top. */
  putAccount(accountId: string, over?: Partial<WrittenDocument<AccountDocument>>): Promise<void>;
  deleteAccount(accountId: string): Promise<void>;
  /** Writes an outbox entry as the send callable would (due now), and its thread message `queued`. */
  putOutboxEntry(requestId: string, over?: Partial<WrittenDocument<OutboxDocument>>): Promise<void>;
  /** A thread as the send callable opens it: owned by `ownerUid`, of `accountId` with `peerJid`. */
  putThread(threadId: string, thread: { accountId: string; peerJid: string; ownerUid: string }): Promise<void>;
  /** Records `threadId` as the account's thread with `peerJid` (threadPeers), as the send callable does. */
  putThreadPeer(accountId: string, peerJid: string, threadId: string): Promise<void>;
  /** A dedupe marker of the old key (`{accountId}__{messageId}`), as stores before the chat and sender keyed them wrote it. */
  putOldDedupeMarker(accountId: string, messageId: string, threadId: string): Promise<void>;
  /** Every lease granted so far runs out (the clock moves past it, or it is rewritten into the past). */
  expireLeases(): Promise<void>;
  account(accountId: string): Promise<AccountDocument | undefined>;
  outboxEntry(requestId: string): Promise<OutboxDocument | undefined>;
  thread(threadId: string): Promise<ThreadDocument | undefined>;
  threadMessage(threadId: string, messageId: string): Promise<ThreadMessageDocument | undefined>;
  /** The account's opt-out record of `contactJid` (`optOuts`). */
  optOut(accountId: string, contactJid: string): Promise<OptOutDocument | undefined>;
}

export function accountData(
  now: Date,
  over: Partial<WrittenDocument<AccountDocument>> = {},
): WrittenDocument<AccountDocument> {
  return {
    ...newAccountDocument({ createdBy: "admin", now, status: "connecting", memberUids: ["alice"] }),
    qrRequestedAt: null,
    ...over,
  };
}

export function outboxData(
  requestId: string,
  now: Date,
  over: Partial<WrittenDocument<OutboxDocument>> = {},
): WrittenDocument<OutboxDocument> {
  return {
    status: "queued",
    uid: "alice",
    clientMessageId: requestId,
    threadId: "t1",
    accountId: "acc-1",
    toJid: "40712345678@s.whatsapp.net",
    text: `text of ${requestId}`,
    firstContact: false,
    heldReason: null,
    providerMessageId: `3EB0${requestId}`,
    claimedBy: null,
    leaseUntil: null,
    leaseEpoch: 0,
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    sentAt: null,
    expireAt: null,
    ...over,
  };
}

export function outboxMessageData(requestId: string, entry: WrittenDocument<OutboxDocument>) {
  return {
    direction: "out" as const,
    text: entry.text,
    status: "queued" as const,
    requestId,
    providerMessageId: entry.providerMessageId,
    senderUid: entry.uid,
    kind: "text" as const,
    reactions: {},
    editedAt: null,
    deleted: false,
    media: null,
    mediaStatus: null,
    createdAt: entry.createdAt,
    updatedAt: entry.createdAt,
  };
}

export function threadData(thread: { accountId: string; peerJid: string; ownerUid: string }, now: Date) {
  return {
    ...thread,
    coWriterUids: [],
    lastMessageAt: now,
    lastMessagePreview: "from a client",
    createdAt: now,
    updatedAt: now,
  };
}
