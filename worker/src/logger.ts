import pino, { type Logger } from "pino";
import { SECRET_FIELD_NAMES } from "@wa-gateway/core";

export type { Logger };

// Cloud Logging reads `severity` and `message` from each JSON line.
const SEVERITY: Record<string, string> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

/** JSON lines for Cloud Logging; the event name is the message, data goes in fields. */
export function createLogger(
  options: { level: string; workerId: string },
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level: options.level,
      messageKey: "message",
      base: { workerId: options.workerId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? "DEFAULT" }) },
      redact: {
        paths: SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`]),
        censor: "[redacted]",
      },
    },
    destination,
  );
}
