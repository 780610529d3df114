import type { Logger } from "./logging/logger";

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export type ShutdownOutcome = "clean" | "timed_out";

/**
 * A bounded, idempotent stop: the steps run in order once, however many signals arrive; if
 * they take longer than `timeoutMs` the outcome is `timed_out` and the caller exits anyway.
 */
export function createShutdown(options: { timeoutMs: number; logger: Logger; steps: () => ShutdownStep[] }) {
  let started: Promise<ShutdownOutcome> | undefined;

  async function runSteps(): Promise<void> {
    for (const step of options.steps()) {
      const t0 = Date.now();
      try {
        await step.run();
        options.logger.info({ step: step.name, ms: Date.now() - t0 }, "shutdown_step_done");
      } catch (err) {
        options.logger.error({ step: step.name, err }, "shutdown_step_failed");
      }
    }
  }

  return {
    isShuttingDown: () => started !== undefined,
    trigger(reason: string): Promise<ShutdownOutcome> {
      if (started) {
        options.logger.warn({ reason }, "shutdown_already_in_progress");
        return started;
      }
      options.logger.info({ reason, timeoutMs: options.timeoutMs }, "shutdown_started");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ShutdownOutcome>((resolve) => {
        timer = setTimeout(() => resolve("timed_out"), options.timeoutMs);
        timer.unref();
      });
      started = Promise.race([runSteps().then(() => "clean" as const), timeout]).then((outcome) => {
        clearTimeout(timer);
        options.logger[outcome === "clean" ? "info" : "error"]({ outcome }, "shutdown_finished");
        return outcome;
      });
      return started;
    },
  };
}
