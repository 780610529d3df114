import { FieldPath, Timestamp, type Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import {
  claimAttemptDocument,
  inboundDedupeDocument,
  inboundPendingDocument,
  rateLimitDocument,
} from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const dedupeKind = documentKind(inboundDedupeDocument);
const pendingKind = documentKind(inboundPendingDocument);
const rateKind = documentKind(rateLimitDocument);
const claimKind = documentKind(claimAttemptDocument);

/**
 * `inboundDedupe/{accountId}__{threadId}__{sender}__{messageId}`: created by the inbound store once
 * a message is stored; read by the inbound probe. Markers of the old key
 * (`{accountId}__{messageId}`) are read too until their TTL (30 days) ends them.
 */
export const inboundDedupe = {
  kind: dedupeKind,
  /** A marker of the old key. */
  doc: (db: Firestore, accountId: string, messageId: string) =>
    dedupeKind.ref(db, paths.inboundDedupe(accountId, messageId)),
  write: (db: Firestore, accountId: string, messageId: string) =>
    dedupeKind.writeRef(db, paths.inboundDedupe(accountId, messageId)),
  /** A marker by its id (`inboundMessageKeyId`). */
  byId: (db: Firestore, markerId: string) => dedupeKind.ref(db, `${collections.inboundDedupe}/${markerId}`),
  writeById: (db: Firestore, markerId: string) => dedupeKind.writeRef(db, `${collections.inboundDedupe}/${markerId}`),
  /** When the account first stored a message with this WhatsApp id, from anyone (the inbound probe). */
  async firstStoredMs(db: Firestore, accountId: string, messageId: string): Promise<number | null> {
    const q = dedupeKind
      .query(db, collections.inboundDedupe)
      .where("accountId", "==", accountId)
      .where("messageId", "==", messageId);
    const times = (await q.get()).docs.map((d) => d.data().createdAt.toMillis());
    return times.length > 0 ? Math.min(...times) : null;
  },
  /** How many inbound messages were stored in [fromMs, toMs) (go-no-go's "1 inbound"). */
  async countBetween(db: Firestore, fromMs: number, toMs: number): Promise<number> {
    const q = dedupeKind
      .query(db, collections.inboundDedupe)
      .where("createdAt", ">=", Timestamp.fromMillis(fromMs))
      .where("createdAt", "<", Timestamp.fromMillis(toMs));
    return (await q.count().get()).data().count;
  },
};

/**
 * `inboundPending/{marker id of the change}`: a reaction, edit or deletion whose target is not
 * stored yet; created and deleted by the inbound store (the target's arrival applies it); TTL.
 */
export const inboundPending = {
  kind: pendingKind,
  doc: (db: Firestore, pendingId: string) => pendingKind.ref(db, paths.inboundPending(pendingId)),
  write: (db: Firestore, pendingId: string) => pendingKind.writeRef(db, paths.inboundPending(pendingId)),
  /** What waits for a message of the account with WhatsApp id `targetId` (in any of its threads). */
  forTarget: (db: Firestore, accountId: string, targetId: string) =>
    pendingKind
      .query(db, collections.inboundPending)
      .where("accountId", "==", accountId)
      .where("targetId", "==", targetId),
};

/** `rateLimits/{uid}__{window}__{slot}`: the send callable's per-user slots, each created once. */
export const rateLimits = {
  kind: rateKind,
  slot: (db: Firestore, uid: string, windowIndex: number, slot: number) =>
    rateKind.writeRef(db, paths.rateLimitSlot(uid, windowIndex, slot)),
  /** How many of `uid`'s slots in the window are taken (an aggregation over the document ids). */
  async takenIn(db: Firestore, uid: string, windowIndex: number): Promise<number> {
    const prefix = paths.rateLimitSlot(uid, windowIndex, 0).split("/")[1]!.replace(/0$/, "");
    const q = db
      .collection(collections.rateLimits)
      .where(FieldPath.documentId(), ">=", prefix)
      .where(FieldPath.documentId(), "<", `${prefix}\uffff`);
    return (await q.count().get()).data().count;
  },
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
