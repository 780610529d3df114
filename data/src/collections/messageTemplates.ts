import type { Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { messageTemplateDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(messageTemplateDocument);

/**
 * `accounts/{accountId}/templates/{name}.{language}`: a Cloud API account's template catalogue.
 * Written by the worker holding the account (worker/src/transport/cloudApi/templateCatalogue.ts); read
 * by the template send and, through the rules, by the account's members.
 */
export const messageTemplates = {
  kind,
  doc: (db: Firestore, accountId: string, templateId: string) =>
    kind.ref(db, paths.messageTemplate(accountId, templateId)),
  write: (db: Firestore, accountId: string, templateId: string) =>
    kind.writeRef(db, paths.messageTemplate(accountId, templateId)),
  ofAccount: (db: Firestore, accountId: string) => kind.query(db, paths.messageTemplates(accountId)),
};
