import type { Firestore } from "firebase-admin/firestore";
import { HELD_STATUSES } from "@wa-gateway/core/longrun";
import { accounts } from "@wa-gateway/data";

/** How many accounts need a socket now (a count aggregation: one read per 1000 accounts). */
export async function liveAccountCount(db: Firestore): Promise<number> {
  const snap = await accounts
    .all(db)
    .where("status", "in", [...HELD_STATUSES])
    .count()
    .get();
  return snap.data().count;
}
