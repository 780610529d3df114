import { onSchedule } from "firebase-functions/scheduler";
import { PROBE_SCHEDULE, scheduledProbes, startProbes } from "@wa-gateway/core/longrun";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { monitoringDeps } from "./lib/monitoringDeps";

/** Every 6 h: the outbound and inbound probes; at 00:00 UTC also the queue probe. The watchdog finishes them. */
export const longrunProbes = onSchedule(
  { schedule: PROBE_SCHEDULE, timeZone: "Etc/UTC", secrets: [TELEGRAM_BOT_TOKEN], retryCount: 1 },
  async (event) => {
    const slot = new Date(event.scheduleTime);
    await startProbes(monitoringDeps("longrunProbes"), scheduledProbes(slot), Date.now());
  },
);
