import { onSchedule } from "firebase-functions/scheduler";
import { rollupDate } from "@wa-gateway/core";
import { runRollup } from "@wa-gateway/core/longrun";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { monitoringDeps } from "./lib/monitoringDeps";

/** 00:05 UTC: the rollup of the day before. A failure opens a `rollup_failed` incident. */
export const longrunDailyRollup = onSchedule(
  { schedule: "5 0 * * *", timeZone: "Etc/UTC", secrets: [TELEGRAM_BOT_TOKEN], retryCount: 2 },
  async (event) => {
    const yesterday = rollupDate(new Date(Date.parse(event.scheduleTime) - 86_400_000));
    await runRollup(monitoringDeps("longrunDailyRollup"), yesterday, Date.now(), "schedule");
  },
);
