import type { CloudApiTransport } from "./cloudApi/cloudApiTransport";
import type { Transport } from "./transport";

/**
 * Each account on its own transport: a Cloud API account through Meta's Graph API, every other
 * one through the worker's WhatsApp Web transport (Baileys, or the simulator).
 */
export function transportPerAccount(web: Transport, cloudApi: CloudApiTransport): Transport {
  return {
    name: web.name,
    connect: (accountId, options) =>
      options.cloudApi
        ? cloudApi.connect(accountId, options.cloudApi, options.handlers)
        : web.connect(accountId, options),
  };
}
