import { onCall } from "firebase-functions/https";
import { handleSend } from "@wa-gateway/core/proxies";
import { callableAdapter } from "./lib/callable";
import { sendDeps, sendLogFields } from "./lib/sendCallable";

/** Queues one WhatsApp message: `{ threadId, accountId, toJid, text, clientMessageId }` → `{ success, requestId, duplicate }`. */
export const whatsappProxySend = onCall(
  callableAdapter("whatsapp_proxy_send", (caller, data) => handleSend(sendDeps(), caller, data), sendLogFields),
);
