import type { Firestore } from "firebase-admin/firestore";
import { accounts } from "@wa-gateway/data";

/** `written`; or not, because the account is gone or another worker (or none) holds it now. */
export type TokenRecordWrite = "written" | "missing" | "not_held";

/** Where a Cloud API account's token expiry is kept for the watchdog (`accounts/{id}.cloudApiToken`). */
export interface TokenRecord {
  /** `expiresAt` null: the token does not expire. Written only while this worker holds the account. */
  record(accountId: string, expiresAt: Date | null, checkedAt: Date): Promise<TokenRecordWrite>;
}

export function firestoreTokenRecord(db: Firestore, workerId: string): TokenRecord {
  return {
    record(accountId, expiresAt, checkedAt) {
      const ref = accounts.doc(db, accountId);
      // A worker that lost the account (its cached token perhaps older) must not overwrite what the holder read.
      return db.runTransaction(async (tx): Promise<TokenRecordWrite> => {
        const account = (await tx.get(ref)).data();
        if (!account) return "missing";
        if (account.owner?.workerId !== workerId || account.owner.releasedAt) return "not_held";
        tx.update(ref, { cloudApiToken: { expiresAt, checkedAt } });
        return "written";
      });
    },
  };
}
