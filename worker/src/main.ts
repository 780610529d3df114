import { ConfigError, parseWorkerConfig } from "./config";
import pino from "pino";
import { captureConsole } from "./logging/consoleCapture";
import { createLogger } from "./logging/logger";
import { startWorker } from "./worker";

// EX_CONFIG from sysexits.h: the environment is wrong, restarting will not help.
const EXIT_BAD_CONFIG = 78;

async function main(): Promise<void> {
  let config;
  try {
    config = parseWorkerConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const logger = createLogger({
    level: config.logLevel,
    workerId: config.workerId,
    service: { name: "wa-worker", version: config.serviceVersion },
  });
  // Libraries print to the console (libsignal prints whole session records, keys included).
  captureConsole(logger);
  const worker = await startWorker(config, logger);

  // A stray rejection is a bug to report (with its stack, for Error Reporting), not a reason to
  // drop every socket this worker holds.
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled_rejection"));

  const onSignal = (signal: NodeJS.Signals) => {
    void worker.stop(signal).then((outcome) => process.exit(outcome === "clean" ? 0 : 1));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((err: Error) => {
  createLogger({ level: "fatal", workerId: process.env.WORKER_ID ?? "unknown" }, pino.destination(2)).fatal(
    { err },
    "worker_boot_failed",
  );
  process.exit(1);
});
