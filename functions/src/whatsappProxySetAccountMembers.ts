import { onCall } from "firebase-functions/https";
import { handleSetAccountMembers } from "@wa-gateway/core/proxies";
import { callableAdapter, idField } from "./lib/callable";
import { firestore } from "./lib/firestore";
import { firestoreMembersStore } from "./stores/membersStore";

/**
 * Admin: `{ accountId, memberUids }` → `{ success, accountId, memberUids, threadsChanged }`. Who
 * may use the account; anyone left out loses its threads at once (owned ones go back to the inbox).
 */
export const whatsappProxySetAccountMembers = onCall(
  callableAdapter(
    "whatsapp_proxy_set_account_members",
    (caller, data) =>
      handleSetAccountMembers({ store: firestoreMembersStore(firestore()), now: () => new Date() }, caller, data),
    (data, result) => ({ accountId: idField(data, "accountId"), threadsChanged: result?.threadsChanged }),
  ),
);
