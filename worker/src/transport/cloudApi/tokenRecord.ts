import type { Firestore } from "firebase-admin/firestore";
import { accounts } from "@wa-gateway/data";

/** Where a Cloud API account's token expiry is kept for the watchdog (`accounts/{id}.cloudApiToken`). */
export interface TokenRecord {
  /** `expiresAt` null: the token does not expire. */
  record(accountId: string, expiresAt: Date | null, checkedAt: Date): Promise<void>;
}

export function firestoreTokenRecord(db: Firestore): TokenRecord {
  return {
    async record(accountId, expiresAt, checkedAt) {
      await accounts.doc(db, accountId).update({ cloudApiToken: { expiresAt, checkedAt } });
    },
  };
}
