import { probeThreadId } from "../ids";
import { handleSend, handleSendTemplate, providerMessageIdFor, type SendStore } from "../proxies/send";
import type { ProbeStore } from "./ports";

/** The system identity probe messages are sent under (never a real user's uid). */
export const PROBE_CALLER = { uid: "system-longrun-probe", admin: true, system: true } as const;

/**
 * The probes' own send limit: far above what the schedule sends (a few an hour), so the users'
 * limit (SEND_RATE_LIMIT_*) never makes a probe fail, yet a runaway loop is still stopped.
 */
export const PROBE_RATE_LIMIT = { maxSends: 1000, windowSec: 60 } as const;

/** A probe message goes through the same send use case as a client's, into the probe's own thread. */
export function sendProbeMessage(deps: { store: SendStore; now: () => Date }): ProbeStore["sendProbeMessage"] {
  return async ({ accountId, toJid, clientMessageId, text, template }) => {
    const send = { accountId, toJid, clientMessageId, threadId: probeThreadId(accountId) };
    const sendDeps = { ...deps, rateLimit: PROBE_RATE_LIMIT };
    const { requestId } = template
      ? await handleSendTemplate(sendDeps, PROBE_CALLER, { ...send, template })
      : await handleSend(sendDeps, PROBE_CALLER, { ...send, text });
    return { requestId, providerMessageId: providerMessageIdFor(requestId) };
  };
}
