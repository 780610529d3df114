import type { Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { accountDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(accountDocument);

/**
 * `accounts/{accountId}`. Written by the account callables (create, regenerate, remove) and by
 * the lease holder (worker/src/accounts/accountLeaseStore.ts); read by them, the send callable and
 * the watchdog.
 */
export const accounts = {
  kind,
  doc: (db: Firestore, accountId: string) => kind.ref(db, paths.account(accountId)),
  write: (db: Firestore, accountId: string) => kind.writeRef(db, paths.account(accountId)),
  all: (db: Firestore) => kind.query(db, collections.accounts),
};
