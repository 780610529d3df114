import { onSchedule } from "firebase-functions/scheduler";
import { probeEveryHours, probeSchedule, scheduledProbes, startProbes } from "@wa-gateway/core/longrun";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { monitoringDeps } from "./lib/monitoringDeps";

/**
 * How often the outbound and inbound probes run: `PROBE_EVERY_HOURS` in `functions/.env.<project>`
 * (default 6; a staging canary sets 1). A plain environment variable, not a param: a schedule
 * must be a string when the deploy reads the function, and .env values are set by then. A value
 * outside the choices fails the deploy (and the emulator's load) with the reason.
 */
const EVERY_HOURS = probeEveryHours(process.env.PROBE_EVERY_HOURS);

/** The outbound and inbound probes every PROBE_EVERY_HOURS; at 00:00 UTC also the queue probe. The watchdog finishes them. */
export const longrunProbes = onSchedule(
  { schedule: probeSchedule(EVERY_HOURS), timeZone: "Etc/UTC", secrets: [TELEGRAM_BOT_TOKEN], retryCount: 1 },
  async (event) => {
    const slot = new Date(event.scheduleTime);
    await startProbes(monitoringDeps("longrunProbes"), scheduledProbes(slot, EVERY_HOURS), Date.now());
  },
);
