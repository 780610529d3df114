import { logger } from "firebase-functions";
import type { SendDeps, SendResult } from "@wa-gateway/core/proxies";
import { SEND_RATE_LIMIT_MAX, SEND_RATE_LIMIT_WINDOW_SEC } from "../config";
import { firestoreMediaSendStore } from "../stores/mediaUploadStore";
import { firestoreSendStore } from "../stores/sendStore";
import { idField } from "./callable";
import { firestore } from "./firestore";

/** Decided at the first attempt: the call's own log line (callableAdapter) says all there is. */
const FIRST_TRY_OUTCOMES = new Set(["accepted", "refused", "duplicate"]);

/** One log line per call; a send transaction that had to retry, or gave up, is worth a second one. */
function sendStoreLog(event: string, fields: Record<string, unknown>): void {
  if (event === "send_transaction" && fields.attempts === 1 && FIRST_TRY_OUTCOMES.has(String(fields.outcome))) return;
  logger.info(event, fields);
}

/** What both send callables hand their core handler: the send store, the clock, the users' rate limit. */
export function sendDeps(): SendDeps {
  return {
    store: firestoreSendStore(firestore(), sendStoreLog),
    media: firestoreMediaSendStore(firestore()),
    now: () => new Date(),
    rateLimit: { maxSends: SEND_RATE_LIMIT_MAX.value(), windowSec: SEND_RATE_LIMIT_WINDOW_SEC.value() },
  };
}

/** A send call's log fields: where it went and what it became, never its text. */
export function sendLogFields(data: unknown, result: SendResult | undefined): Record<string, unknown> {
  return {
    accountId: idField(data, "accountId"),
    threadId: idField(data, "threadId"),
    requestId: result?.requestId,
    duplicate: result?.duplicate,
  };
}
