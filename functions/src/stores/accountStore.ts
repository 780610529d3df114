import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { collections, paths, type AccountStore, type StoredAccount } from "@wa-gateway/core";

export function firestoreAccountStore(db: Firestore): AccountStore {
  return {
    async list({ memberUid }) {
      const accounts = db.collection(collections.accounts);
      const query = memberUid === undefined ? accounts : accounts.where("memberUids", "array-contains", memberUid);
      const snap = await query.get();
      return snap.docs.map((doc) => ({ id: doc.id, account: doc.data() as StoredAccount }));
    },
    async create(accountId, account) {
      await db.doc(paths.account(accountId)).create(account);
    },
    update(accountId, decide) {
      return db.runTransaction(async (tx) => {
        const ref = db.doc(paths.account(accountId));
        const snap = await tx.get(ref);
        const { fields, result } = decide(snap.exists ? (snap.data() as StoredAccount) : undefined);
        if (fields) tx.update(ref, fields);
        return result;
      });
    },
    async deleteSession(accountId) {
      await db.recursiveDelete(db.doc(paths.waSession(accountId)));
      await db.doc(paths.account(accountId)).update({ sessionClearedAt: FieldValue.serverTimestamp() });
    },
  };
}
