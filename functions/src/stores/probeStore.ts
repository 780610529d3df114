import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { type ProbeDocument, type Written } from "@wa-gateway/core/documents";
import { sendProbeMessage, type ProbeDoc, type ProbeStore } from "@wa-gateway/core/longrun";
import { accounts, inboundDedupe, outbox, probes } from "@wa-gateway/data";
import { firestoreSendStore } from "./sendStore";

const PROBE_RETENTION_MS = 180 * 86_400_000;

type ProbeFields = Parameters<ProbeStore["updateProbe"]>[1];
const at = (ms: number | null | undefined) => (typeof ms === "number" ? Timestamp.fromMillis(ms) : null);

/** The job's probe fields as stored: times in milliseconds become Timestamps; `finished` stamps finishedAt. */
function stored(fields: ProbeFields) {
  const { startedMs, attemptStartedMs, retryAtMs, finished, key: _key, ...rest } = fields;
  return {
    ...rest,
    ...(startedMs !== undefined ? { startedAt: at(startedMs)! } : {}),
    ...(attemptStartedMs !== undefined ? { attemptStartedAt: at(attemptStartedMs)! } : {}),
    ...(retryAtMs !== undefined ? { retryAt: at(retryAtMs) } : {}),
    ...(finished ? { finishedAt: FieldValue.serverTimestamp() } : {}),
  } satisfies Partial<{ [K in keyof ProbeDocument]: Written<ProbeDocument[K]> | FieldValue }>;
}

function probeOf(key: string, d: ProbeDocument): ProbeDoc {
  return {
    key,
    type: d.type,
    result: d.result,
    attempt: d.attempt,
    startedMs: d.startedAt.toMillis(),
    attemptStartedMs: d.attemptStartedAt.toMillis(),
    retryAtMs: d.retryAt?.toMillis() ?? null,
    requestId: d.requestId,
    providerMessageId: d.providerMessageId,
    targetAccountId: d.targetAccountId,
    deadlineSec: d.deadlineSec,
  };
}

/** `probes/{probeKey}`, and the outbox / inbound documents a probe is judged by. */
export function firestoreProbeStore(db: Firestore, writer: string): ProbeStore {
  return {
    async createProbe(doc) {
      try {
        await probes.write(db, doc.key).create({
          key: doc.key,
          type: doc.type,
          result: doc.result,
          latencyMs: doc.latencyMs,
          reason: doc.reason,
          attempt: doc.attempt,
          startedAt: at(doc.startedMs)!,
          attemptStartedAt: at(doc.attemptStartedMs)!,
          retryAt: at(doc.retryAtMs),
          requestId: doc.requestId,
          providerMessageId: doc.providerMessageId,
          targetAccountId: doc.targetAccountId,
          deadlineSec: doc.deadlineSec,
          ...(doc.finished ? { finishedAt: FieldValue.serverTimestamp() } : {}),
          startedIso: new Date(doc.startedMs).toISOString(),
          expireAt: at(doc.startedMs + PROBE_RETENTION_MS)!,
          updatedAt: FieldValue.serverTimestamp(),
          updatedBy: writer,
        });
        return true;
      } catch (err) {
        if (grpcStatusOf(err) === GrpcStatus.ALREADY_EXISTS) return false;
        throw err;
      }
    },

    async updateProbe(key, fields) {
      await probes
        .doc(db, key)
        .update({ ...stored(fields), updatedAt: FieldValue.serverTimestamp(), updatedBy: writer });
    },

    async pendingProbes() {
      const snap = await probes.all(db).where("result", "==", "PENDING").get();
      return snap.docs.map((d) => probeOf(d.id, d.data()));
    },

    async recentResults(type, limit) {
      const query = probes.all(db).where("type", "==", type).orderBy("startedAt", "desc").limit(limit);
      return (await probes.kind.select(query, "result").get()).docs.map((d) => d.data().result);
    },

    sendProbeMessage: sendProbeMessage({ store: firestoreSendStore(db), now: () => new Date() }),

    async outboxEntry(requestId) {
      const entry = (await outbox.doc(db, requestId).get()).data();
      return entry && { status: entry.status, sentMs: entry.sentAt?.toMillis() ?? null, lastError: entry.lastError };
    },

    async inboundStoredMs(accountId, messageId) {
      // By account and id, whoever sent it: the marker's key also names the chat and the sender.
      return inboundDedupe.firstStoredMs(db, accountId, messageId);
    },

    async accountJid(accountId) {
      return (await accounts.doc(db, accountId).get()).data()?.waJid ?? null;
    },
  };
}
