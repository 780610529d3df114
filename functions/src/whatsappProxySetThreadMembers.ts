import { onCall } from "firebase-functions/https";
import { handleSetThreadMembers } from "@wa-gateway/core/proxies";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreThreadStore } from "./stores/threadStore";

/** The owner or an admin hands a thread over or sets its co-writers: `{ threadId, ownerUid?, coWriterUids? }`. */
export const whatsappProxySetThreadMembers = onCall(
  callableAdapter(
    "whatsapp_proxy_set_thread_members",
    (caller, data) =>
      handleSetThreadMembers({ store: firestoreThreadStore(firestore()), now: () => new Date() }, caller, data),
    (data) => ({ threadId: idField(data, "threadId") }),
  ),
);
