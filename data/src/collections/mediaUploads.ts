import type { Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { mediaUploadDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const kind = documentKind(mediaUploadDocument);

/**
 * `mediaUploads/{uploadId}`: an upload whatsappProxyCreateUpload signed, read by the send
 * callable (functions/src/stores/mediaUploadStore.ts). Server-only (rules); TTL `expireAt`.
 */
export const mediaUploads = {
  kind,
  doc: (db: Firestore, uploadId: string) => kind.ref(db, paths.mediaUpload(uploadId)),
  write: (db: Firestore, uploadId: string) => kind.writeRef(db, paths.mediaUpload(uploadId)),
};
