import { onCall } from "firebase-functions/https";
import { handleRegenerateQr } from "@wa-gateway/core/proxies";
import { accountDeps } from "./lib/accountDeps";
import { callableAdapter, idField } from "./lib/callable";

/** Admin: asks the worker for a fresh QR for an account that is not connected. */
export const whatsappProxyRegenerateQr = onCall(
  callableAdapter(
    "whatsapp_proxy_regenerate_qr",
    (caller, data) => handleRegenerateQr(accountDeps(), caller, data),
    (data) => ({ accountId: idField(data, "accountId") }),
  ),
);
