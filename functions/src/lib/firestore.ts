import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, Timestamp, type Firestore } from "firebase-admin/firestore";

let db: Firestore | undefined;

/** The functions' Firestore client, created on first use (not at import, so deploy analysis stays offline). */
export function firestore(): Firestore {
  db ??= getFirestore(getApps().find((app) => app.name === "[DEFAULT]") ?? initializeApp());
  return db;
}

/** Milliseconds of a stored Timestamp; null for anything else (a missing or null field). */
export function millisOf(value: unknown): number | null {
  return value instanceof Timestamp ? value.toMillis() : null;
}
