import type { SocketConfig } from "@whiskeysockets/baileys";
import type { Logger } from "../../logging/logger";
import { LogRate } from "../../logging/logRate";

/** Baileys' logger interface (not exported by name from its index). */
type ILogger = SocketConfig["logger"];

/**
 * Protocol events Baileys logs as errors or warnings that are normal on a healthy link: an error
 * here is something an operator must act on, so these go to the level they deserve.
 */
const EXPECTED_EVENTS: { message: string; when?: (fields: object) => boolean; level: "info" | "debug" }[] = [
  {
    // WhatsApp's 515 "restart required": the normal reconnect right after pairing (and at times later).
    message: "stream errored out",
    when: (fields) =>
      (fields as { fullErrorNode?: { attrs?: { code?: unknown } } }).fullErrorNode?.attrs?.code === "515",
    level: "info",
  },
  {
    // Baileys refreshes sessions for contacts it just mapped to a LID; a failure is retried on the next send.
    message: "failed to assert sessions for newly mapped LIDs",
    level: "debug",
  },
  {
    // rc14 acks every notification with creds.me.id, unset before pairing: an unpaired socket's
    // companion_reg_refresh fails there, and the transport acks it itself.
    message: "failed to ack notification",
    when: (fields) => /reading 'id'/.test(String((fields as { ackErr?: { message?: unknown } }).ackErr?.message)),
    level: "debug",
  },
  {
    // A freshly linked device has no push name yet; Baileys just skips announcing itself online.
    message: "no name present, ignoring presence update request...",
    level: "debug",
  },
];

function expectedLevel(message: string, fields: object): "info" | "debug" | undefined {
  return EXPECTED_EVENTS.find((e) => e.message === message && (e.when?.(fields) ?? true))?.level;
}

/**
 * The logger Baileys gets: the worker's (so its lines are JSON with secrets redacted), with its
 * warnings and errors rate-bounded per message. A peer whose messages never decrypt makes Baileys
 * log "failed to decrypt message" once per message; here that is a few lines a minute, each with
 * the count of those left out (`suppressed`). Expected protocol events (above) are not warnings.
 */
export function baileysLogger(logger: Logger, rate = new LogRate()): ILogger {
  const bounded =
    (level: "warn" | "error") =>
    (obj: unknown, msg?: string): void => {
      const [fields, message] = typeof obj === "string" ? [{}, obj] : [(obj ?? {}) as object, msg ?? "baileys"];
      const expected = expectedLevel(message, fields);
      if (expected) return logger[expected](fields, message);
      const admitted = rate.admit(`${level}:${message}`);
      if (!admitted.log) return;
      logger[level]({ ...fields, ...(admitted.suppressed ? { suppressed: admitted.suppressed } : {}) }, message);
    };
  const passThrough =
    (level: "trace" | "debug" | "info") =>
    (obj: unknown, msg?: string): void =>
      typeof obj === "string" ? logger[level](obj) : logger[level]((obj ?? {}) as object, msg);
  return {
    get level() {
      return logger.level;
    },
    set level(level: string) {
      logger.level = level;
    },
    child: (bindings) => baileysLogger(logger.child(bindings), rate),
    trace: passThrough("trace"),
    debug: passThrough("debug"),
    info: passThrough("info"),
    warn: bounded("warn"),
    error: bounded("error"),
  };
}
