import type { Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { optOutDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const optOutKind = documentKind(optOutDocument);

/**
 * `optOuts/{accountId}__{hash of contactJid}`: contacts who wrote an opt-out keyword to the
 * account. Written and deleted by the inbound store (with the message), read by the send
 * callable in its transaction, listed and cleared by `npm run opt-out`. Server-only (rules).
 */
export const optOuts = {
  kind: optOutKind,
  doc: (db: Firestore, accountId: string, contactJid: string) =>
    optOutKind.ref(db, paths.optOut(accountId, contactJid)),
  write: (db: Firestore, accountId: string, contactJid: string) =>
    optOutKind.writeRef(db, paths.optOut(accountId, contactJid)),
  /** The account's records (two per contact when both its number and its LID are known). */
  ofAccount: (db: Firestore, accountId: string) =>
    optOutKind.query(db, collections.optOuts).where("accountId", "==", accountId),
  /**
   * An operator's clear: deletes the contact's record and the one under its other JID, in one
   * transaction; the JIDs cleared, or "missing" when the contact has no record.
   */
  async clear(db: Firestore, accountId: string, contactJid: string): Promise<string[] | "missing"> {
    return db.runTransaction(async (tx) => {
      const record = (await tx.get(optOuts.doc(db, accountId, contactJid))).data();
      if (!record) return "missing";
      const jids = record.otherJid ? [contactJid, record.otherJid] : [contactJid];
      for (const jid of jids) tx.delete(optOuts.doc(db, accountId, jid));
      return jids;
    });
  },
};
