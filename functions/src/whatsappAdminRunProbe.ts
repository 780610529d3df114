import { onCall } from "firebase-functions/https";
import { manualProbeKey, runProbeRequest, startProbes } from "@wa-gateway/core/longrun";
import { parseRequest, requireAdmin } from "@wa-gateway/core/proxies";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { callableAdapter } from "./lib/callable";
import { monitoringDeps } from "./lib/monitoringDeps";

/** Admins: start a probe now, `{ type: "OUT" | "IN" | "QUEUE" }` → `{ probeKey, result }`. The watchdog finishes it. */
export const whatsappAdminRunProbe = onCall(
  { secrets: [TELEGRAM_BOT_TOKEN] },
  callableAdapter(
    "whatsapp_admin_run_probe",
    async (caller, data) => {
      requireAdmin(caller);
      const { type } = parseRequest(runProbeRequest, data);
      const now = new Date();
      const probeKey = manualProbeKey(type, now);
      const started = await startProbes(
        monitoringDeps(`admin:${caller.uid}`),
        [{ type, key: probeKey }],
        now.getTime(),
      );
      return { probeKey, result: started[probeKey] ?? "PENDING" };
    },
    (_data, result) => ({ probeKey: result?.probeKey }),
  ),
);
