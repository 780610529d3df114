import { onCall } from "firebase-functions/https";
import { handleSendTemplate } from "@wa-gateway/core/proxies";
import { SEND_RATE_LIMIT_MAX, SEND_RATE_LIMIT_WINDOW_SEC } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { sendStoreLog } from "./lib/sendStoreLog";
import { firestoreSendStore } from "./stores/sendStore";

/**
 * Queues an approved template of a Cloud API account (the way to write first, or after the
 * 24-hour window): `{ threadId, accountId, toJid, template: { name, language, parameters }, clientMessageId }`
 * → `{ success, requestId, duplicate }`. Same outbox, rate limit and idempotency as whatsappProxySend.
 */
export const whatsappProxySendTemplate = onCall(
  callableAdapter(
    "whatsapp_proxy_send_template",
    (caller, data) =>
      handleSendTemplate(
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
