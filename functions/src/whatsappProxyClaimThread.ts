import { onCall } from "firebase-functions/https";
import { handleClaimThread } from "@wa-gateway/core";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreThreadStore } from "./stores/threadStore";

/** A member takes a thread nobody owns: `{ threadId }` → `{ success, threadId, ownerUid, coWriterUids }`. */
export const whatsappProxyClaimThread = onCall(
  callableAdapter(
    "whatsapp_proxy_claim_thread",
    (caller, data) =>
      handleClaimThread({ store: firestoreThreadStore(firestore()), now: () => new Date() }, caller, data),
    (data) => ({ threadId: idField(data, "threadId") }),
  ),
);
