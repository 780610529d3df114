import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { LRUCache } from "lru-cache";
import { unhandledStanzas } from "@wa-gateway/data";
import type { Logger } from "../logging/logger";
import type { UnhandledStanza } from "../transport/transport";

/** Where a worker reports what WhatsApp sent that nothing handles, for the watchdog to count accounts. */
export interface UnhandledStanzaReports {
  report(accountId: string, stanza: UnhandledStanza): void;
}

/** Sightings this worker has already reported (per account, kind and type): bounded. */
const REPORTED_KEPT = 10_000;

/**
 * `wa_metrics/longrun/unhandledStanzas/{kind}__{type}`: one write per account, kind and type per
 * worker (not one per stanza), adding the account to the type's list and stamping when it was
 * last seen. A failed write is logged and tried again at the next sighting.
 */
export function firestoreUnhandledStanzaReports(db: Firestore, logger: Logger): UnhandledStanzaReports {
  const reported = new LRUCache<string, true>({ max: REPORTED_KEPT });
  return {
    report(accountId, { kind, type, shape }) {
      const key = `${accountId}\u0000${kind}\u0000${type}`;
      if (reported.has(key)) return;
      reported.set(key, true);
      unhandledStanzas
        .write(db, kind, type)
        .set(
          { kind, type, shape, accountIds: FieldValue.arrayUnion(accountId), lastSeenAt: FieldValue.serverTimestamp() },
          { merge: true },
        )
        .catch((err: Error) => {
          reported.delete(key);
          logger.warn({ accountId, kind, type, err: err.message }, "unhandled_stanza_report_failed");
        });
    },
  };
}
