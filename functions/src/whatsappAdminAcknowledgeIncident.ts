import { onCall } from "firebase-functions/https";
import { acknowledgeIncident, acknowledgeIncidentRequest } from "@wa-gateway/core/longrun";
import { parseRequest, requireAdmin } from "@wa-gateway/core/proxies";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreIncidentTriage } from "./stores/incidentTriageStore";

/** Admins: `{ incidentId, owner }` → the incident is someone's; it stops re-alerting until it resolves or escalates. */
export const whatsappAdminAcknowledgeIncident = onCall(
  {},
  callableAdapter(
    "whatsapp_admin_acknowledge_incident",
    async (caller, data) => {
      requireAdmin(caller);
      const req = parseRequest(acknowledgeIncidentRequest, data);
      const by = `admin:${caller.uid}`;
      return acknowledgeIncident(firestoreIncidentTriage(firestore(), by), req, by, Date.now());
    },
    (data) => ({ incidentId: idField(data, "incidentId") }),
  ),
);
