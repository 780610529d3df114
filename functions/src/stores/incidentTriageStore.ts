import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { IncidentTriage } from "@wa-gateway/core/longrun";
import { incidents } from "@wa-gateway/data";

/** Acknowledgements of incidents, for the admin callable and `npm run incident -- ack`. */
export function firestoreIncidentTriage(db: Firestore, writer: string): IncidentTriage {
  return {
    acknowledge({ incidentId, owner, by, nowMs }) {
      const ref = incidents.doc(db, incidentId);
      return db.runTransaction(async (tx) => {
        const incident = (await tx.get(ref)).data();
        if (!incident) return "missing" as const;
        if (incident.status !== "open") return "resolved" as const;
        tx.update(ref, {
          acknowledgement: {
            by,
            owner,
            at: Timestamp.fromMillis(nowMs),
            atIso: new Date(nowMs).toISOString(),
            severity: incident.severity,
          },
          updatedAt: FieldValue.serverTimestamp(),
          updatedBy: writer,
        });
        return "acknowledged" as const;
      });
    },
  };
}
