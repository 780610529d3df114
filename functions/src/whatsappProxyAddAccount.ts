import { onCall } from "firebase-functions/https";
import { handleAddAccount } from "@wa-gateway/core/proxies";
import { accountDeps } from "./lib/accountDeps";
import { callableAdapter } from "./lib/callable";

/** Admin: creates an account in `pending_qr`; the worker connects it and writes the QR or pairing code. */
export const whatsappProxyAddAccount = onCall(
  callableAdapter(
    "whatsapp_proxy_add_account",
    (caller, data) => handleAddAccount(accountDeps(), caller, data),
    (_data, result) => ({ accountId: result?.accountId }),
  ),
);
