import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";

let db: Firestore | undefined;

/** The functions' Firestore client, created on first use (not at import, so deploy analysis stays offline). */
export function firestore(): Firestore {
  db ??= getFirestore(getApps().find((app) => app.name === "[DEFAULT]") ?? initializeApp());
  return db;
}
