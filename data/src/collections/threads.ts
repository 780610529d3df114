import type { Firestore } from "firebase-admin/firestore";
import { collections, GrpcStatus, grpcStatusOf, paths } from "@wa-gateway/core";
import { threadDocument, threadMessageDocument, threadPeerDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const threadKind = documentKind(threadDocument);
const messageKind = documentKind(threadMessageDocument);
const peerKind = documentKind(threadPeerDocument);

/**
 * `threads/{threadId}`. Created and updated by the send callable and the inbound store (a peer
 * opens a thread); owner and co-writers by the thread callables. Clients read it (rules).
 */
export const threads = {
  kind: threadKind,
  doc: (db: Firestore, threadId: string) => threadKind.ref(db, paths.thread(threadId)),
  write: (db: Firestore, threadId: string) => threadKind.writeRef(db, paths.thread(threadId)),
  all: (db: Firestore) => threadKind.query(db, collections.threads),
  /** The account's threads (the members sweep walks them by id when it knows not whom to strip). */
  ofAccount: (db: Firestore, accountId: string) =>
    threadKind.query(db, collections.threads).where("accountId", "==", accountId),
  /** The account's threads `uid` owns. */
  ownedBy: (db: Firestore, accountId: string, uid: string) =>
    threadKind.query(db, collections.threads).where("accountId", "==", accountId).where("ownerUid", "==", uid),
  /** The account's threads `uid` co-writes. */
  coWrittenBy: (db: Firestore, accountId: string, uid: string) =>
    threadKind
      .query(db, collections.threads)
      .where("accountId", "==", accountId)
      .where("coWriterUids", "array-contains", uid),
};

/** Tries of `advanceThreadSummary`'s conditional update; each retry means another writer got in between. */
const SUMMARY_TRIES = 5;

/**
 * Moves a thread's last-message fields to this message unless they show a newer one:
 * a read, then an update conditional on the version read, again if someone wrote in between. No
 * transaction, so no lock on the thread: the send callable and the inbound store call it after
 * their commit, and a summary never goes back to an older message. "contended": still behind
 * after every try (the caller logs it; the message itself is stored); "missing": no thread.
 */
export async function advanceThreadSummary(
  db: Firestore,
  threadId: string,
  summary: { lastMessageAt: Date; lastMessagePreview: string },
  now: Date,
): Promise<"advanced" | "newer" | "contended" | "missing"> {
  const ref = threads.doc(db, threadId);
  const atMs = summary.lastMessageAt.getTime();
  for (let i = 0; i < SUMMARY_TRIES; i++) {
    const snap = await ref.get();
    const t = snap.data();
    if (!t) return "missing";
    // A tie goes to the later writer: WhatsApp stamps whole seconds, and the message stored last came last.
    if (t.lastMessageAt.toMillis() > atMs) return "newer";
    try {
      await ref.update(
        { lastMessageAt: summary.lastMessageAt, lastMessagePreview: summary.lastMessagePreview, updatedAt: now },
        { lastUpdateTime: snap.updateTime! },
      );
      return "advanced";
    } catch (err) {
      if (grpcStatusOf(err) !== GrpcStatus.FAILED_PRECONDITION) throw err;
    }
  }
  return "contended";
}

/**
 * `threads/{threadId}/messages/{messageId}`: outbound ones created by the send callable (id: the
 * request id), inbound ones by the inbound store (id `in_…`); status moved forward by the worker.
 */
export const threadMessages = {
  kind: messageKind,
  doc: (db: Firestore, threadId: string, messageId: string) =>
    messageKind.ref(db, paths.threadMessage(threadId, messageId)),
  write: (db: Firestore, threadId: string, messageId: string) =>
    messageKind.writeRef(db, paths.threadMessage(threadId, messageId)),
  of: (db: Firestore, threadId: string) => messageKind.query(db, paths.threadMessages(threadId)),
  /** The thread's outbound messages sent under a WhatsApp id (a reaction's or an edit's target). */
  outboundUnder: (db: Firestore, threadId: string, providerMessageId: string) =>
    messageKind
      .query(db, paths.threadMessages(threadId))
      .where("providerMessageId", "==", providerMessageId)
      .where("direction", "==", "out"),
  /** The thread's newest message from the contact: when they last wrote (the Cloud API's 24-hour window). */
  newestInbound: (db: Firestore, threadId: string) =>
    messageKind
      .query(db, paths.threadMessages(threadId))
      .where("direction", "==", "in")
      .orderBy("createdAt", "desc")
      .limit(1),
};

/** `threadPeers/{accountId}__{peer}`: created with a thread (send callable, inbound store), never changed. */
export const threadPeers = {
  kind: peerKind,
  doc: (db: Firestore, accountId: string, peerJid: string) => peerKind.ref(db, paths.threadPeer(accountId, peerJid)),
  write: (db: Firestore, accountId: string, peerJid: string) =>
    peerKind.writeRef(db, paths.threadPeer(accountId, peerJid)),
};
