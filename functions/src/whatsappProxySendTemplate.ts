import { onCall } from "firebase-functions/https";
import { handleSendTemplate } from "@wa-gateway/core/proxies";
import { callableAdapter } from "./lib/callable";
import { sendDeps, sendLogFields } from "./lib/sendCallable";

/**
 * Queues an approved template of a Cloud API account (the way to write first, or after the
 * 24-hour window): `{ threadId, accountId, toJid, template: { name, language, parameters }, clientMessageId }`
 * → `{ success, requestId, duplicate }`. Same outbox, rate limit and idempotency as whatsappProxySend.
 */
export const whatsappProxySendTemplate = onCall(
  callableAdapter(
    "whatsapp_proxy_send_template",
    (caller, data) => handleSendTemplate(sendDeps(), caller, data),
    sendLogFields,
  ),
);
