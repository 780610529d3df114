import { onSchedule } from "firebase-functions/scheduler";
import { runWatchdog } from "@wa-gateway/core/longrun";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { monitoringDeps } from "./lib/monitoringDeps";

/** Every minute: heartbeat gaps, outbox and account health, config; finishes pending probes. */
export const longrunWatchdog = onSchedule(
  { schedule: "* * * * *", timeZone: "Etc/UTC", secrets: [TELEGRAM_BOT_TOKEN], retryCount: 0, timeoutSeconds: 50 },
  async (event) => {
    await runWatchdog(monitoringDeps("longrunWatchdog"), Date.parse(event.scheduleTime), Date.now());
  },
);
