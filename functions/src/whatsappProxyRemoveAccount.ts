import { onCall } from "firebase-functions/https";
import { handleRemoveAccount } from "@wa-gateway/core/proxies";
import { accountDeps } from "./lib/accountDeps";
import { callableAdapter, idField } from "./lib/callable";

/** Admin: logs the account out and removes its session keys; history stays, later sends are refused. */
export const whatsappProxyRemoveAccount = onCall(
  callableAdapter(
    "whatsapp_proxy_remove_account",
    (caller, data) => handleRemoveAccount(accountDeps(), caller, data),
    (data, result) => ({ accountId: idField(data, "accountId"), alreadyRemoved: result?.alreadyRemoved }),
  ),
);
