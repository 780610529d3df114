import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { mediaDownloadDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(mediaDownloadDocument);

/**
 * `mediaDownloads/{accountId}__{threadId}__{messageDocId}`: an inbound message's bytes still to fetch. Created
 * with the message by the inbound store, worked and deleted by the account's worker
 * (worker/src/media/inboundMedia.ts). Server-only (rules): it holds the media key.
 */
export const mediaDownloads = {
  kind,
  doc: (db: Firestore, accountId: string, threadId: string, messageDocId: string) =>
    kind.ref(db, paths.mediaDownload(accountId, threadId, messageDocId)),
  write: (db: Firestore, accountId: string, threadId: string, messageDocId: string) =>
    kind.writeRef(db, paths.mediaDownload(accountId, threadId, messageDocId)),
  /** The account's downloads due by `now`, oldest first. */
  due: (db: Firestore, accountId: string, now: Date, limit: number) =>
    kind
      .query(db, collections.mediaDownloads)
      .where("accountId", "==", accountId)
      .where("nextAttemptAt", "<=", Timestamp.fromDate(now))
      .orderBy("nextAttemptAt")
      .limit(limit),
  /** Any `limit` of the account's downloads (a removal deletes them all). */
  ofAccount: (db: Firestore, accountId: string, limit: number) =>
    kind.query(db, collections.mediaDownloads).where("accountId", "==", accountId).limit(limit),
  /** The account's download due soonest, whenever that is. */
  next: (db: Firestore, accountId: string) =>
    kind.query(db, collections.mediaDownloads).where("accountId", "==", accountId).orderBy("nextAttemptAt").limit(1),
};
