import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { claimAttemptDocument, inboundDedupeDocument, rateLimitDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const dedupeKind = documentKind(inboundDedupeDocument);
const rateKind = documentKind(rateLimitDocument);
const claimKind = documentKind(claimAttemptDocument);

/** `inboundDedupe/{accountId}__{messageId}`: created by the inbound store once a message is stored; read by the inbound probe. */
export const inboundDedupe = {
  kind: dedupeKind,
  doc: (db: Firestore, accountId: string, messageId: string) =>
    dedupeKind.ref(db, paths.inboundDedupe(accountId, messageId)),
  write: (db: Firestore, accountId: string, messageId: string) =>
    dedupeKind.writeRef(db, paths.inboundDedupe(accountId, messageId)),
  /** How many inbound messages were stored in [fromMs, toMs) (go-no-go's "1 inbound"). */
  async countBetween(db: Firestore, fromMs: number, toMs: number): Promise<number> {
    const q = dedupeKind
      .query(db, collections.inboundDedupe)
      .where("createdAt", ">=", Timestamp.fromMillis(fromMs))
      .where("createdAt", "<", Timestamp.fromMillis(toMs));
    return (await q.count().get()).data().count;
  },
};

/** `rateLimits/{uid}`: the send callable's per-user counter, read and written in its transaction. */
export const rateLimits = {
  kind: rateKind,
  doc: (db: Firestore, uid: string) => rateKind.ref(db, paths.rateLimit(uid)),
  write: (db: Firestore, uid: string) => rateKind.writeRef(db, paths.rateLimit(uid)),
};

/** `claimAttempts/{auto id}`: created by the claim callable, one per call, counted per caller. */
export const claimAttempts = {
  kind: claimKind,
  /** A new attempt's document (an auto id: nothing every call writes). */
  create: (db: Firestore) =>
    claimKind.writeRef(db, paths.claimAttempt(db.collection(collections.claimAttempts).doc().id)),
  /** `uid`'s attempts since `since` (index: uid, at). */
  byCallerSince: (db: Firestore, uid: string, since: Date) =>
    claimKind.query(db, collections.claimAttempts).where("uid", "==", uid).where("at", ">", since),
};
