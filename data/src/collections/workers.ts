import type { Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { workerDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const workerKind = documentKind(workerDocument);

/**
 * `workers/{workerId}`: the running workers. Each writes its own with its lease renewals and
 * deletes it when it stops (worker/src/accounts/fleetStore.ts); every worker listens to all of
 * them to share the accounts evenly. Server-only (rules).
 */
export const workers = {
  kind: workerKind,
  doc: (db: Firestore, workerId: string) => workerKind.ref(db, paths.worker(workerId)),
  write: (db: Firestore, workerId: string) => workerKind.writeRef(db, paths.worker(workerId)),
  all: (db: Firestore) => workerKind.query(db, collections.workers),
};
