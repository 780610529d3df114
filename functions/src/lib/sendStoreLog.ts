import { logger } from "firebase-functions";

/** Decided at the first attempt: the call's own log line (callableAdapter) says all there is. */
const FIRST_TRY_OUTCOMES = new Set(["accepted", "refused", "duplicate"]);

/** One log line per call; a send transaction that had to retry, or gave up, is worth a second one. */
export function sendStoreLog(event: string, fields: Record<string, unknown>): void {
  if (event === "send_transaction" && fields.attempts === 1 && FIRST_TRY_OUTCOMES.has(String(fields.outcome))) return;
  logger.info(event, fields);
}
