import { FieldValue, type Firestore } from "firebase-admin/firestore";
import type { AccountCreate, AccountStore } from "@wa-gateway/core/proxies";
import { accounts, clearSession, cloudApiNumbers, readTogether, underAccountLease } from "@wa-gateway/data";

export function firestoreAccountStore(db: Firestore): AccountStore {
  return {
    async list({ memberUid }) {
      const all = accounts.all(db);
      const query = memberUid === undefined ? all : all.where("memberUids", "array-contains", memberUid);
      const snap = await query.get();
      return snap.docs.map((doc) => ({ id: doc.id, account: doc.data() }));
    },
    async create(accountId, account) {
      const number = account.cloudApi?.phoneNumberId;
      if (!number) {
        await accounts.write(db, accountId).create(account);
        return { kind: "created" };
      }
      return db.runTransaction(async (tx): Promise<AccountCreate> => {
        const claim = (await tx.get(cloudApiNumbers.doc(db, number))).data();
        if (claim) {
          const [holder] = await readTogether(tx, [accounts.doc(db, claim.accountId)]);
          const status = holder!.data()?.status;
          if (status !== undefined && status !== "removed") return { kind: "number_taken", accountId: claim.accountId };
        }
        tx.create(accounts.write(db, accountId), account);
        tx.set(cloudApiNumbers.write(db, number), { accountId, claimedAt: account.createdAt });
        return { kind: "created" };
      });
    },
    update(accountId, decide) {
      return db.runTransaction(async (tx) => {
        const ref = accounts.doc(db, accountId);
        const { fields, result } = decide((await tx.get(ref)).data());
        if (fields) tx.update(ref, fields);
        return result;
      });
    },
    async deleteSession(accountId, lease) {
      const holds = (account: { owner: { workerId: string; epoch: number } | null }) =>
        account.owner?.workerId === lease.workerId && account.owner.epoch === lease.epoch;
      const cleared = await clearSession(db, accountId, lease.epoch, holds);
      // Given back as the worker gives a lease back: ended now, its epoch kept (core/leases.ts).
      const released = {
        "owner.leaseUntil": FieldValue.serverTimestamp(),
        "owner.releasedAt": FieldValue.serverTimestamp(),
      };
      await underAccountLease(db, accountId, holds, () => undefined, released);
      return cleared;
    },
  };
}
