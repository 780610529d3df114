import { logger } from "firebase-functions";
import { HttpsError, type CallableRequest } from "firebase-functions/https";
import { scrubText } from "@wa-gateway/core";
import { callerFrom, GatewayError, type Caller } from "@wa-gateway/core/proxies";
import { APP_CHECK_ENFORCE } from "../config";
import { recordRefusedAccess } from "./securityEvents";

/**
 * The one shape every callable has: check App Check when enforced, identify the caller, run the
 * core handler, map its refusals to HttpsError, and write one structured log line (event, uid,
 * ids, outcome, latency), never message text, tokens or keys.
 *
 * App Check is enforced here, at request time, rather than with onCall's `enforceAppCheck`:
 * that option takes a plain boolean, so a deploy-time param there is read while the functions
 * are being loaded (and firebase-functions warns about it on every load).
 */
export function callableAdapter<R extends object>(
  event: string,
  handler: (caller: Caller, data: unknown) => Promise<R>,
  logFields: (data: unknown, result: R | undefined) => Record<string, unknown> = () => ({}),
) {
  return async (request: CallableRequest<unknown>): Promise<R> => {
    const started = Date.now();
    let caller: Caller | undefined;
    try {
      if (APP_CHECK_ENFORCE.value() && !request.app) {
        throw new GatewayError("unauthenticated", "App Check token missing or invalid");
      }
      caller = callerFrom(request.auth);
      const result = await handler(caller, request.data);
      logger.info(event, {
        uid: caller.uid,
        outcome: "ok",
        latencyMs: Date.now() - started,
        ...logFields(request.data, result),
      });
      return result;
    } catch (err) {
      const fields = {
        uid: caller?.uid ?? null,
        latencyMs: Date.now() - started,
        ...safeFields(logFields, request.data),
      };
      if (err instanceof GatewayError) {
        logger.info(event, { ...fields, outcome: err.code, reason: err.message });
        if (err.refusal === "cross_tenant")
          await recordRefusedAccess(event, caller?.uid ?? null, request.data, err.message);
        throw new HttpsError(err.code, err.message);
      }
      logger.error(event, { ...fields, outcome: "internal", error: scrubText(String((err as Error)?.stack ?? err)) });
      throw new HttpsError("internal", "Internal error");
    }
  };
}

function safeFields(fields: (data: unknown, result: undefined) => Record<string, unknown>, data: unknown) {
  try {
    return fields(data, undefined);
  } catch {
    return {};
  }
}

/** Picks an id-like string field from untrusted data for the log line, bounded. */
export function idField(data: unknown, key: string): string | undefined {
  const value = (data as Record<string, unknown> | null)?.[key];
  return typeof value === "string" ? value.slice(0, 128) : undefined;
}
