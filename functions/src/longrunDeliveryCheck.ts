import { onSchedule } from "firebase-functions/scheduler";
import { runDeliveryCheck } from "@wa-gateway/core/longrun";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { monitoringDeps } from "./lib/monitoringDeps";

/** Every 15 minutes: delivery rate and error rate of the last hour, overall and per account. */
export const longrunDeliveryCheck = onSchedule(
  { schedule: "*/15 * * * *", timeZone: "Etc/UTC", secrets: [TELEGRAM_BOT_TOKEN], retryCount: 0, timeoutSeconds: 120 },
  async (event) => {
    await runDeliveryCheck(monitoringDeps("longrunDeliveryCheck"), Date.parse(event.scheduleTime), Date.now());
  },
);
