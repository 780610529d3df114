import { logger } from "firebase-functions";
import { redact, scrubText } from "@wa-gateway/core";
import { type JobLog } from "@wa-gateway/core/longrun";

const clean = (fields: Record<string, unknown> = {}) =>
  JSON.parse(scrubText(JSON.stringify(redact(fields)))) as Record<string, unknown>;

/** Structured job logs: an event name and fields, secrets masked in one place. */
export const jobLog: JobLog = {
  info: (event, fields) => logger.info(event, clean(fields)),
  warn: (event, fields) => logger.warn(event, clean(fields)),
  error: (event, fields) => logger.error(event, clean(fields)),
};
