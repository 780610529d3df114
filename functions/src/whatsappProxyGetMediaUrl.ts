import { onCall } from "firebase-functions/https";
import { handleGetMediaUrl } from "@wa-gateway/core/proxies";
import { MEDIA_URL_TTL_SEC } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { signedReadUrl } from "./lib/mediaBucket";
import { firestoreMediaUrlReads } from "./stores/mediaUrlStore";

/** A message's file for whoever may read its thread: `{ threadId, messageId }` → a short-lived signed URL. */
export const whatsappProxyGetMediaUrl = onCall(
  callableAdapter(
    "whatsapp_proxy_get_media_url",
    (caller, data) =>
      handleGetMediaUrl(
        {
          read: firestoreMediaUrlReads(firestore()),
          sign: signedReadUrl,
          now: () => new Date(),
          ttlSec: MEDIA_URL_TTL_SEC.value(),
        },
        caller,
        data,
      ),
    (data) => ({ threadId: idField(data, "threadId"), messageId: idField(data, "messageId") }),
  ),
);
