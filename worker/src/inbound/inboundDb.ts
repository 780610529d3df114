import type {
  MediaDownloadDocument,
  InboundDedupeDocument,
  InboundPendingDocument,
  OptOutDocument,
  ThreadDocument,
  ThreadMessageDocument,
  ThreadPeerDocument,
  WrittenDocument,
} from "@wa-gateway/core/documents";

/** A document as read, with what a conditional write compares (Firestore: its update time). */
export interface Versioned<T> {
  data: T;
  version: unknown;
}

export type InboundWrite =
  | { kind: "marker"; id: string; data: WrittenDocument<InboundDedupeDocument> }
  | { kind: "peer"; accountId: string; jid: string; data: WrittenDocument<ThreadPeerDocument> }
  | { kind: "newThread"; threadId: string; data: WrittenDocument<ThreadDocument> }
  | { kind: "thread"; threadId: string; data: Partial<WrittenDocument<ThreadDocument>>; version: unknown }
  | { kind: "newMessage"; threadId: string; docId: string; data: WrittenDocument<ThreadMessageDocument> }
  | {
      kind: "message";
      threadId: string;
      docId: string;
      data: Partial<WrittenDocument<ThreadMessageDocument>>;
      version: unknown;
    }
  | { kind: "newPending"; id: string; data: WrittenDocument<InboundPendingDocument> }
  /** An inbound file to fetch, created with its message. */
  | { kind: "newMediaDownload"; data: WrittenDocument<MediaDownloadDocument> }
  | { kind: "donePending"; id: string }
  /** Written whole (a second STOP only moves it on); deleted by an opt-in, whether or not it exists. */
  | { kind: "optOut"; accountId: string; jid: string; data: WrittenDocument<OptOutDocument> }
  | { kind: "optIn"; accountId: string; jid: string };

/**
 * The reads and the one conditional commit the inbound store needs, over Firestore
 * (inboundStore.ts) or memory (test/support/memoryStores): the decisions are all here, once.
 */
export interface InboundDb {
  /**
   * An attempt's first round trip (its reads at once), and Firestore's time of it: the contact's
   * peer records, the thread at the usual id, the old-key marker, and the changes of this
   * account kept aside for a message with id `pendingFor` (whichever thread).
   */
  begin(
    accountId: string,
    jids: string[],
    usualThreadId: string,
    oldMarkerId: string | null,
    pendingFor: string | null,
  ): Promise<{
    nowMs: number;
    peers: (ThreadPeerDocument | undefined)[];
    usual: Versioned<ThreadDocument> | undefined;
    oldMarker: InboundDedupeDocument | undefined;
    pending: { id: string; data: InboundPendingDocument }[];
  }>;
  thread(threadId: string): Promise<Versioned<ThreadDocument> | undefined>;
  marker(markerId: string): Promise<InboundDedupeDocument | undefined>;
  message(threadId: string, docId: string): Promise<Versioned<ThreadMessageDocument> | undefined>;
  /** The thread's outbound message sent under `providerMessageId` (through the gateway or typed on the phone). */
  outbound(
    threadId: string,
    providerMessageId: string,
  ): Promise<(Versioned<ThreadMessageDocument> & { docId: string }) | undefined>;
  /** The account's opt-out records of these JIDs (read only for a message that is an opt-out or opt-in keyword). */
  optOuts(accountId: string, jids: string[]): Promise<(OptOutDocument | undefined)[]>;
  /** All or nothing; "conflict" when a created document exists or an updated one changed since read. */
  commit(writes: InboundWrite[]): Promise<"committed" | "conflict">;
}
