import type { Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { waSessionDocument, waSessionKeyDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const sessionKind = documentKind(waSessionDocument);
const keyKind = documentKind(waSessionKeyDocument);

/** `waSessions/{accountId}`: written and read only by the account's lease holder (worker/src/accounts/sessionStore.ts). */
export const waSessions = {
  kind: sessionKind,
  doc: (db: Firestore, accountId: string) => sessionKind.ref(db, paths.waSession(accountId)),
  write: (db: Firestore, accountId: string) => sessionKind.writeRef(db, paths.waSession(accountId)),
};

/** `waSessions/{accountId}/keys/{type}__{id}`: the Signal keys, same owner as the session. */
export const waSessionKeys = {
  kind: keyKind,
  doc: (db: Firestore, accountId: string, type: string, id: string) =>
    keyKind.ref(db, paths.waSessionKey(accountId, type, id)),
  write: (db: Firestore, accountId: string, type: string, id: string) =>
    keyKind.writeRef(db, paths.waSessionKey(accountId, type, id)),
  part: (db: Firestore, accountId: string, type: string, id: string, part: number) =>
    keyKind.ref(db, paths.waSessionKeyPart(accountId, type, id, part)),
  partWrite: (db: Firestore, accountId: string, type: string, id: string, part: number) =>
    keyKind.writeRef(db, paths.waSessionKeyPart(accountId, type, id, part)),
  all: (db: Firestore, accountId: string) => keyKind.query(db, paths.waSessionKeys(accountId)),
};
