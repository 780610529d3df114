import type { SocketConfig } from "@whiskeysockets/baileys";
import type { Logger } from "../../logging/logger";
import { LogRate } from "../../logging/logRate";

/** Baileys' logger interface (not exported by name from its index). */
type ILogger = SocketConfig["logger"];

/**
 * The logger Baileys gets: the worker's (so its lines are JSON with secrets redacted), with its
 * warnings and errors rate-bounded per message. A peer whose messages never decrypt makes Baileys
 * log "failed to decrypt message" once per message; here that is a few lines a minute, each with
 * the count of those left out (`suppressed`).
 */
export function baileysLogger(logger: Logger, rate = new LogRate()): ILogger {
  const bounded =
    (level: "warn" | "error") =>
    (obj: unknown, msg?: string): void => {
      const [fields, message] = typeof obj === "string" ? [{}, obj] : [(obj ?? {}) as object, msg ?? "baileys"];
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
