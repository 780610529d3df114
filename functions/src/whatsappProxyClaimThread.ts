import { onCall } from "firebase-functions/https";
import { handleClaimThread } from "@wa-gateway/core/proxies";
import { CLAIM_RATE_LIMIT_MAX, CLAIM_RATE_LIMIT_WINDOW_SEC } from "./config";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreClaimAttempts, firestoreThreadStore } from "./stores/threadStore";

/** A member takes a thread nobody owns: `{ threadId }` → `{ success, threadId, ownerUid, coWriterUids }`. */
export const whatsappProxyClaimThread = onCall(
  callableAdapter(
    "whatsapp_proxy_claim_thread",
    (caller, data) =>
      handleClaimThread(
        {
          store: firestoreThreadStore(firestore()),
          attempts: firestoreClaimAttempts(firestore()),
          limit: { maxClaims: CLAIM_RATE_LIMIT_MAX.value(), windowSec: CLAIM_RATE_LIMIT_WINDOW_SEC.value() },
          now: () => new Date(),
        },
        caller,
        data,
      ),
    (data) => ({ threadId: idField(data, "threadId") }),
  ),
);
