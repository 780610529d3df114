import type { Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
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
};

/** `threadPeers/{accountId}__{peer}`: created with a thread (send callable, inbound store), never changed. */
export const threadPeers = {
  kind: peerKind,
  doc: (db: Firestore, accountId: string, peerJid: string) => peerKind.ref(db, paths.threadPeer(accountId, peerJid)),
  write: (db: Firestore, accountId: string, peerJid: string) =>
    peerKind.writeRef(db, paths.threadPeer(accountId, peerJid)),
};
