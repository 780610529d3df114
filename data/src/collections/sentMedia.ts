import type { Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { sentMediaDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(sentMediaDocument);

/**
 * `sentMedia/{accountId}__{providerMessageId}`: written by the account's worker once a file went
 * out, read when a contact's phone asks for that message again (worker/src/media/sentMedia.ts).
 * Server-only (rules): it holds the media key. TTL `expireAt`.
 */
export const sentMedia = {
  kind,
  doc: (db: Firestore, accountId: string, providerMessageId: string) =>
    kind.ref(db, paths.sentMedia(accountId, providerMessageId)),
  write: (db: Firestore, accountId: string, providerMessageId: string) =>
    kind.writeRef(db, paths.sentMedia(accountId, providerMessageId)),
};
