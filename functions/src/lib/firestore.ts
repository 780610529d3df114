import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore, type Transaction } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";

let db: Firestore | undefined;

/** The functions' Firestore client, created on first use (not at import, so deploy analysis stays offline). */
export function firestore(): Firestore {
  db ??= getFirestore(getApps().find((app) => app.name === "[DEFAULT]") ?? initializeApp());
  return db;
}

const CLOSED_TRANSACTION_TRIES = 3;

/**
 * `db.runTransaction`, tried again when the Firestore emulator closes the transaction under
 * contention: it answers INVALID_ARGUMENT "Transaction is invalid or closed" where Firestore
 * answers ABORTED, which the SDK retries by itself (firebase-tools #4473, #6758). Seen in CI on
 * two overlapping watchdog runs; production never answers it.
 */
export async function transactionRetryingClosed<T>(db: Firestore, update: (tx: Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.runTransaction(update);
    } catch (err) {
      const closed =
        grpcStatusOf(err) === GrpcStatus.INVALID_ARGUMENT && /Transaction is invalid or closed/.test(String(err));
      if (!closed || attempt >= CLOSED_TRANSACTION_TRIES) throw err;
    }
  }
}
