import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { GLOBAL_KEY, type DeliveryReads } from "@wa-gateway/core/longrun";
import { incidents as incidentDocs, outbox } from "@wa-gateway/data";

const ts = (value: number) => Timestamp.fromMillis(value);

/**
 * The outbox's outcomes in a window, for the delivery check: failed entries are read (by account,
 * one field each), sent ones only counted, so a busy hour costs aggregations, not documents.
 */
export function firestoreDeliveryReads(db: Firestore): DeliveryReads {
  const all = outbox.all(db);
  const count = async <T>(q: FirebaseFirestore.Query<T>) => (await q.count().get()).data().count;
  const sentBetween = (fromMs: number, toMs: number) =>
    all.where("status", "==", "sent").where("sentAt", ">=", ts(fromMs)).where("sentAt", "<", ts(toMs));

  return {
    async deliveryOutcomes(fromMs, toMs) {
      const [failed, sent, open] = await Promise.all([
        outbox.kind
          .select(
            all.where("status", "==", "failed").where("updatedAt", ">=", ts(fromMs)).where("updatedAt", "<", ts(toMs)),
            "accountId",
          )
          .get(),
        count(sentBetween(fromMs, toMs)),
        incidentDocs.kind
          .select(
            incidentDocs.all(db).where("status", "==", "open").where("type", "in", ["delivery_rate", "error_rate"]),
            "key",
          )
          .get(),
      ]);
      const failedBy = new Map<string, number>();
      for (const d of failed.docs) failedBy.set(d.data().accountId, (failedBy.get(d.data().accountId) ?? 0) + 1);
      for (const d of open.docs) {
        const key = d.data().key;
        if (key !== GLOBAL_KEY && !failedBy.has(key)) failedBy.set(key, 0);
      }
      const perAccount = await Promise.all(
        [...failedBy].map(async ([accountId, failedCount]) => ({
          accountId,
          failed: failedCount,
          sent: await count(sentBetween(fromMs, toMs).where("accountId", "==", accountId)),
        })),
      );
      return { overall: { sent, failed: failed.size }, perAccount };
    },
  };
}
