import { onCall } from "firebase-functions/https";
import { requeueFailed, requeueRequest } from "@wa-gateway/core/outbox";
import { parseRequest, requireAdmin } from "@wa-gateway/core/proxies";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreRequeueStore } from "./stores/requeueStore";

/**
 * Admins: `{ sinceMinutes, accountId?, dryRun?, includePermanent? }` → each failed entry and what
 * was done to it; failed entries go back to `queued` under their same providerMessageId.
 */
export const whatsappAdminRequeue = onCall(
  { timeoutSeconds: 300 },
  callableAdapter(
    "whatsapp_admin_requeue",
    async (caller, data) => {
      requireAdmin(caller);
      const req = parseRequest(requeueRequest, data);
      return requeueFailed(firestoreRequeueStore(firestore()), req, `admin:${caller.uid}`, Date.now());
    },
    (data, result) => ({
      accountId: idField(data, "accountId"),
      entries: result?.entries.length,
      requeued: result?.entries.filter((e) => e.outcome === "requeued").length,
    }),
  ),
);
