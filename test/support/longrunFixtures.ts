import type { Firestore } from "firebase-admin/firestore";
import {
  type IncidentDocument,
  type OutboxDocument,
  type ProbeDocument,
  type WrittenDocument,
} from "@wa-gateway/core/documents";
import { INCIDENT_TYPES, type IncidentType } from "@wa-gateway/core/longrun";
import { incidents, outbox, probes } from "@wa-gateway/data";

/**
 * Whole documents as their writers store them, for suites that seed history: typed by each
 * collection's schema, so a fixture cannot drift from what the jobs and the worker write.
 */

const DAY_MS = 86_400_000;

export async function seedProbe(
  db: Firestore,
  over: Pick<ProbeDocument, "key" | "type" | "result"> & { startedAt: Date } & Partial<WrittenDocument<ProbeDocument>>,
): Promise<void> {
  const { startedAt } = over;
  await probes.write(db, over.key).set({
    latencyMs: over.result === "PASS" ? 900 : null,
    reason: over.result === "PASS" ? null : "timeout",
    attempt: 1,
    attemptStartedAt: startedAt,
    retryAt: null,
    requestId: null,
    providerMessageId: null,
    targetAccountId: null,
    deadlineSec: 120,
    finishedAt: startedAt,
    startedIso: startedAt.toISOString(),
    expireAt: new Date(startedAt.getTime() + 180 * DAY_MS),
    updatedAt: startedAt,
    updatedBy: "fixture",
    ...over,
  });
}

export async function seedIncident(
  db: Firestore,
  id: string,
  over: { type: IncidentType; tsStart: Date; tsEnd?: Date | null } & Partial<WrittenDocument<IncidentDocument>>,
): Promise<void> {
  const { tsStart, tsEnd = null } = over;
  await incidents.write(db, id).set({
    key: "global",
    severity: INCIDENT_TYPES[over.type].severity,
    status: tsEnd ? "resolved" : "open",
    reason: "seeded",
    planned: false,
    tsStartIso: tsStart.toISOString(),
    tsDetected: tsStart,
    ...(tsEnd ? { tsEndIso: tsEnd.toISOString() } : {}),
    mttrSec: tsEnd ? (tsEnd.getTime() - tsStart.getTime()) / 1000 : null,
    lastNotifiedAt: null,
    notifyPending: false,
    notifyCount: 0,
    expireAt: new Date((tsEnd ?? tsStart).getTime() + 365 * DAY_MS),
    updatedAt: tsEnd ?? tsStart,
    updatedBy: "fixture",
    ...over,
    tsEnd,
  });
}

export async function seedOutboxEntry(
  db: Firestore,
  requestId: string,
  over: Pick<OutboxDocument, "status"> & { createdAt: Date } & Partial<WrittenDocument<OutboxDocument>>,
): Promise<void> {
  const final = over.status === "sent" || over.status === "failed";
  await outbox.write(db, requestId).set({
    uid: "u1",
    clientMessageId: requestId,
    threadId: "t1",
    accountId: "a1",
    toJid: "40712345678@s.whatsapp.net",
    firstContact: false,
    heldReason: null,
    text: "seeded",
    providerMessageId: `3EB0${requestId}`,
    claimedBy: null,
    leaseUntil: null,
    leaseEpoch: final ? 1 : 0,
    attempts: final ? 1 : 0,
    nextAttemptAt: over.createdAt,
    lastError: over.status === "failed" ? "seeded failure" : null,
    updatedAt: over.createdAt,
    sentAt: over.status === "sent" ? over.createdAt : null,
    expireAt: final ? new Date(over.createdAt.getTime() + 30 * DAY_MS) : null,
    ...over,
  });
}
