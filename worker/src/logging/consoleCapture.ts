import type { Logger } from "./logger";
import { LogRate } from "./logRate";

const METHODS = ["log", "info", "debug", "warn", "error"] as const;

/**
 * Routes `console.*` through the worker's logger. Libraries below Baileys print there: libsignal
 * prints whole Signal session records ("Closing session:", ratchet private keys included) with
 * `console.info`. Only the text of such a call is kept, objects are dropped unprinted, and each
 * text is rate-bounded. Answers a function that puts the console back.
 */
export function captureConsole(logger: Logger, rate = new LogRate()): () => void {
  const original = METHODS.map((m) => [m, console[m]] as const);
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => {
      const text = args
        .filter((a): a is string | number | boolean => ["string", "number", "boolean"].includes(typeof a))
        .join(" ")
        .slice(0, 200);
      const admitted = rate.admit(`console:${text}`);
      if (!admitted.log) return;
      const line = { text, objectsDropped: args.filter((a) => typeof a === "object" && a !== null).length };
      const extra = admitted.suppressed ? { suppressed: admitted.suppressed } : {};
      if (method === "error") logger.error({ ...line, ...extra }, "console_output");
      else if (method === "warn") logger.warn({ ...line, ...extra }, "console_output");
      else logger.debug({ ...line, ...extra }, "console_output");
    };
  }
  return () => {
    for (const [method, fn] of original) console[method] = fn;
  };
}
