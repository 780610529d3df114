import { onCall } from "firebase-functions/https";
import { handleGetAccounts } from "@wa-gateway/core/proxies";
import { accountDeps } from "./lib/accountDeps";
import { callableAdapter } from "./lib/callable";

/** The accounts the caller may use (admins: all), with status and QR, never session material. */
export const whatsappProxyGetAccounts = onCall(
  callableAdapter(
    "whatsapp_proxy_get_accounts",
    (caller, data) => handleGetAccounts(accountDeps(), caller, data),
    (_data, result) => ({ count: result?.accounts.length }),
  ),
);
