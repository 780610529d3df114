import { logger } from "firebase-functions";
import { Timestamp } from "firebase-admin/firestore";
import { securityEvents } from "@wa-gateway/data";
import { firestore } from "./firestore";

const RETENTION_MS = 365 * 86_400_000;

const idOf = (data: unknown, key: string): string | null => {
  const value = (data as Record<string, unknown> | null)?.[key];
  return typeof value === "string" ? value.slice(0, 200) : null;
};

/**
 * A refused cross-tenant access: a handler refused a caller who named an existing account, or a
 * thread of one, that it is not a member of (GatewayError `refusal: "cross_tenant"`; an admin-only
 * callable refusing a member, or a member refused a colleague's thread, is not one). Logged as
 * `security_event` and stored in `wa_metrics/longrun/securityEvents`, where go-no-go counts it.
 * Never throws: recording must not change the caller's answer.
 */
export async function recordRefusedAccess(
  callable: string,
  uid: string | null,
  data: unknown,
  reason: string,
): Promise<void> {
  const accountId = idOf(data, "accountId");
  const threadId = idOf(data, "threadId");
  if (!accountId && !threadId) return;
  const nowMs = Date.now();
  logger.warn("security_event", { kind: "cross_tenant_refused", callable, uid, accountId, threadId });
  try {
    await securityEvents.create(firestore()).create({
      kind: "cross_tenant_refused",
      callable,
      uid,
      accountId,
      threadId,
      reason: reason.slice(0, 200),
      at: Timestamp.fromMillis(nowMs),
      atIso: new Date(nowMs).toISOString(),
      expireAt: Timestamp.fromMillis(nowMs + RETENTION_MS),
      review: null,
      updatedBy: callable,
    });
  } catch (err) {
    logger.error("security_event_not_stored", { callable, error: (err as Error).message });
  }
}
