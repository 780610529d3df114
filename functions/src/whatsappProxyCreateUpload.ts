import { randomBytes } from "node:crypto";
import { onCall } from "firebase-functions/https";
import { handleCreateUpload } from "@wa-gateway/core/proxies";
import { MEDIA_URL_TTL_SEC } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { signedPutUrl } from "./lib/mediaBucket";
import { firestoreUploadRecords } from "./stores/mediaUploadStore";

/**
 * Where an app PUTs a file to send: `{ accountId, threadId, kind, contentType, size, fileName?, seconds? }`
 * → `{ uploadId, url, expiresAt, headers }`, a signed PUT of exactly that type and size.
 */
export const whatsappProxyCreateUpload = onCall(
  callableAdapter(
    "whatsapp_proxy_create_upload",
    (caller, data) =>
      handleCreateUpload(
        {
          ...firestoreUploadRecords(firestore()),
          signPut: signedPutUrl,
          newId: () => randomBytes(16).toString("base64url"),
          now: () => new Date(),
          ttlSec: MEDIA_URL_TTL_SEC.value(),
        },
        caller,
        data,
      ),
    (data, result) => ({
      accountId: idField(data, "accountId"),
      threadId: idField(data, "threadId"),
      kind: idField(data, "kind"),
      uploadId: result?.uploadId,
    }),
  ),
);
