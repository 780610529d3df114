import type { Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { cloudApiNumberClaimDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(cloudApiNumberClaimDocument);

/**
 * `cloudApiNumbers/{phoneNumberId}`: the account holding a Cloud API number. Written with the
 * account's creation by the add-account callable (functions/src/stores/accountAdminStore.ts).
 * Server-only (rules).
 */
export const cloudApiNumbers = {
  kind,
  doc: (db: Firestore, phoneNumberId: string) => kind.ref(db, paths.cloudApiNumber(phoneNumberId)),
  write: (db: Firestore, phoneNumberId: string) => kind.writeRef(db, paths.cloudApiNumber(phoneNumberId)),
};
