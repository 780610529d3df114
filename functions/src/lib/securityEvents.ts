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
 * A refused cross-tenant access: a callable answered permission-denied to a request naming a
 * thread or an account (the caller is not a member of that tenant). Logged as `security_event`
 * and stored in `wa_metrics/longrun/securityEvents`, where go-no-go counts it. A request naming
 * neither (an admin-only callable refusing a member) is not one. Never throws: recording must
 * not change the caller's answer.
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
      updatedBy: callable,
    });
  } catch (err) {
    logger.error("security_event_not_stored", { callable, error: (err as Error).message });
  }
}
