import pino, { type Logger } from "pino";
import { SECRET_FIELD_NAMES, scrubText } from "@wa-gateway/core";

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

// Error Reporting groups an entry whose payload has this type and a V8 stack in `stack_trace`.
const REPORTED_ERROR_EVENT = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent";
const ERROR_LEVEL = 50;

/**
 * JSON lines for Cloud Logging; the event name is the message, data goes in fields. Secrets are
 * masked here, in one place: secret field names by redaction, tokens inside error text by
 * `scrubText`. An Error passed as `err` becomes its (scrubbed) message; at error level and above
 * its stack also goes to `stack_trace` for Error Reporting.
 */
export function createLogger(
  options: { level: string; workerId: string; service?: { name: string; version: string } },
  destination?: pino.DestinationStream,
): Logger {
  const serviceContext = { service: options.service?.name ?? "wa-worker", version: options.service?.version ?? "" };
  return pino(
    {
      level: options.level,
      messageKey: "message",
      base: { workerId: options.workerId },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin(fields: { err?: unknown }, level: number) {
        if (level < ERROR_LEVEL || !(fields.err instanceof Error)) return {};
        return {
          "@type": REPORTED_ERROR_EVENT,
          stack_trace: scrubText(fields.err.stack ?? `${fields.err.name}: ${fields.err.message}`),
          serviceContext,
        };
      },
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? "DEFAULT" }),
        log: (fields) =>
          fields.err instanceof Error
            ? { ...fields, err: scrubText(fields.err.message) }
            : typeof fields.err === "string"
              ? { ...fields, err: scrubText(fields.err) }
              : fields,
      },
      redact: {
        paths: SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`]),
        censor: "[redacted]",
      },
    },
    destination,
  );
}
