import { onCall } from "firebase-functions/https";
import { handleSend } from "@wa-gateway/core/proxies";
import { SEND_RATE_LIMIT_MAX, SEND_RATE_LIMIT_WINDOW_SEC } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { sendStoreLog } from "./lib/sendStoreLog";
import { firestoreSendStore } from "./stores/sendStore";

/** Queues one WhatsApp message: `{ threadId, accountId, toJid, text, clientMessageId }` → `{ success, requestId, duplicate }`. */
export const whatsappProxySend = onCall(
  callableAdapter(
    "whatsapp_proxy_send",
    (caller, data) =>
      handleSend(
        {
          store: firestoreSendStore(firestore(), sendStoreLog),
          now: () => new Date(),
          rateLimit: { maxSends: SEND_RATE_LIMIT_MAX.value(), windowSec: SEND_RATE_LIMIT_WINDOW_SEC.value() },
        },
        caller,
        data,
      ),
    (data, result) => ({
      accountId: idField(data, "accountId"),
      threadId: idField(data, "threadId"),
      requestId: result?.requestId,
      duplicate: result?.duplicate,
    }),
  ),
);
