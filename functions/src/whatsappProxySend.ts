import { logger } from "firebase-functions";
import { onCall } from "firebase-functions/https";
import { handleSend } from "@wa-gateway/core/proxies";
import { SEND_RATE_LIMIT_MAX, SEND_RATE_LIMIT_WINDOW_SEC } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreSendStore } from "./stores/sendStore";

/** Decided at the first attempt: the call's own log line (callableAdapter) says all there is. */
const FIRST_TRY_OUTCOMES = new Set(["accepted", "refused", "duplicate"]);

/** One log line per call; a send transaction that had to retry, or gave up, is worth a second one. */
function sendStoreLog(event: string, fields: Record<string, unknown>): void {
  if (event === "send_transaction" && fields.attempts === 1 && FIRST_TRY_OUTCOMES.has(String(fields.outcome))) return;
  logger.info(event, fields);
}

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
