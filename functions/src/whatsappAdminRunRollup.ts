import { onCall } from "firebase-functions/https";
import { InvalidRollupDate, runRollup, runRollupRequest } from "@wa-gateway/core/longrun";
import { GatewayError, parseRequest, requireAdmin } from "@wa-gateway/core/proxies";
import { TELEGRAM_BOT_TOKEN } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { monitoringDeps } from "./lib/monitoringDeps";

/** Admins: (re)compute the rollup of any past or current day, `{ date: "yyyy-mm-dd" }` → the rollup. */
export const whatsappAdminRunRollup = onCall(
  { secrets: [TELEGRAM_BOT_TOKEN], timeoutSeconds: 300 },
  callableAdapter(
    "whatsapp_admin_run_rollup",
    async (caller, data) => {
      requireAdmin(caller);
      const { date } = parseRequest(runRollupRequest, data);
      try {
        return await runRollup(monitoringDeps(`admin:${caller.uid}`), date, Date.now(), `manual:${caller.uid}`);
      } catch (err) {
        if (err instanceof InvalidRollupDate) throw new GatewayError("invalid-argument", err.message);
        throw err;
      }
    },
    (data) => ({ date: idField(data, "date") }),
  ),
);
