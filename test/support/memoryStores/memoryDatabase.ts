import { EventEmitter } from "node:events";
import { Timestamp } from "firebase-admin/firestore";
import type {
  AccountDocument,
  InboundDedupeDocument,
  InboundPendingDocument,
  MediaDownloadDocument,
  OptOutDocument,
  OutboxDocument,
  ThreadDocument,
  ThreadMessageDocument,
  ThreadPeerDocument,
  WorkerDocument,
} from "@wa-gateway/core/documents";
import { TestClock } from "./testClock";

/** The creds document of one account's session: who opened it last, and a version that moves on every write. */
export interface SessionDocument {
  epoch: number;
  creds: string | null;
  version: number;
}

/** Which collection a change touched, for listeners (the fakes' onSnapshot). */
export type MemoryCollection = "accounts" | "outbox" | "threadMessages" | "inbound" | "sessions" | "workers";

/**
 * The documents the worker's stores read and write, held in memory: what the in-memory stores
 * (memoryAccountLeaseStore, memoryOutboxStore, memoryInboundStore) share, as the Firestore ones
 * share a database. Times are Timestamps, as Firestore stores them, and judged on `clock`
 * (Firestore's read time), so a test moves lease expiry and retries by moving the clock.
 * Every write emits `change` (listeners and tests waiting for a state wait on it).
 */
export class MemoryDatabase extends EventEmitter<{ change: [collection: MemoryCollection, id: string] }> {
  readonly accounts = new Map<string, AccountDocument>();
  readonly outbox = new Map<string, OutboxDocument>();
  readonly threads = new Map<string, ThreadDocument>();
  /** By `${threadId}/${messageId}`. */
  readonly threadMessages = new Map<string, ThreadMessageDocument>();
  /** By `${accountId}__${peerJid}`. */
  readonly threadPeers = new Map<string, ThreadPeerDocument>();
  /** By marker id (`inboundMessageKeyId`, or the old `${accountId}__${messageId}`). */
  readonly inboundDedupe = new Map<string, InboundDedupeDocument>();
  /** Reactions, edits and deletions waiting for their target, by id. */
  readonly inboundPending = new Map<string, InboundPendingDocument>();
  /** Inbound files to fetch, by `{accountId}__{threadId}__{messageDocId}`. */
  readonly mediaDownloads = new Map<string, MediaDownloadDocument>();
  /** Contacts who opted out, by `${accountId}__${contactJid}`. */
  readonly optOuts = new Map<string, OptOutDocument>();
  readonly sessions = new Map<string, SessionDocument>();
  /** The running workers, by id. */
  readonly workers = new Map<string, WorkerDocument>();
  /** Per account, by `${type}/${id}`: each key's serialised value. */
  readonly sessionKeys = new Map<string, Map<string, string>>();

  constructor(readonly clock = new TestClock()) {
    super();
    this.setMaxListeners(0);
  }

  /** Firestore's time of a read or commit. */
  now(): Timestamp {
    return Timestamp.fromMillis(this.clock.now());
  }

  changed(collection: MemoryCollection, id: string): void {
    this.emit("change", collection, id);
  }

  message(threadId: string, messageId: string): ThreadMessageDocument | undefined {
    return this.threadMessages.get(`${threadId}/${messageId}`);
  }

  setMessage(threadId: string, messageId: string, doc: ThreadMessageDocument): void {
    this.threadMessages.set(`${threadId}/${messageId}`, doc);
    this.changed("threadMessages", `${threadId}/${messageId}`);
  }

  putAccount(accountId: string, doc: AccountDocument): void {
    this.accounts.set(accountId, doc);
    this.changed("accounts", accountId);
  }

  deleteAccount(accountId: string): void {
    if (this.accounts.delete(accountId)) this.changed("accounts", accountId);
  }

  putOutbox(requestId: string, doc: OutboxDocument): void {
    this.outbox.set(requestId, doc);
    this.changed("outbox", requestId);
  }

  /**
   * Resolves with `check()`'s first truthy answer, checked now and after every write; rejects
   * after `timeoutMs` naming `what`. How a test waits for a state instead of sleeping.
   */
  until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const onChange = () => {
        const value = check();
        if (!value) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off("change", onChange);
      };
      this.on("change", onChange);
    });
  }
}

/** What Firestore does to a written value: a Date is stored (and read back) as a Timestamp. */
export function stored<T>(value: T): T {
  if (value instanceof Date) return Timestamp.fromDate(value) as T;
  if (Array.isArray(value)) return value.map(stored) as T;
  if (value && typeof value === "object" && value.constructor === Object)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stored(v)])) as T;
  return value;
}

/** One turn of the event loop, as a Firestore round trip would take: lets other work interleave. */
export const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));
