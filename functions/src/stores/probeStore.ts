import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import {
  handleSend,
  inboundDedupeId,
  paths,
  probeThreadId,
  collections,
  providerMessageIdFor,
  type ProbeDoc,
  type ProbeResult,
  type ProbeStore,
  GrpcStatus,
  grpcStatusOf,
  millisOf as ms,
} from "@wa-gateway/core";
import { firestoreSendStore } from "./sendStore";

const PROBE_RETENTION_MS = 180 * 86_400_000;
/** The system identity probe messages are sent under (never a real user's uid). */
export const PROBE_CALLER = { uid: "system-longrun-probe", admin: true, system: true } as const;

const MS_FIELDS = { startedMs: "startedAt", attemptStartedMs: "attemptStartedAt", retryAtMs: "retryAt" } as const;

function toFirestore(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === "finished") {
      if (v) out.finishedAt = FieldValue.serverTimestamp();
    } else if (k in MS_FIELDS) {
      out[MS_FIELDS[k as keyof typeof MS_FIELDS]] = typeof v === "number" ? Timestamp.fromMillis(v) : null;
    } else {
      out[k] = v;
    }
  }
  return out;
}

function fromFirestore(d: FirebaseFirestore.DocumentSnapshot): ProbeDoc {
  return {
    key: d.id,
    type: d.get("type"),
    result: d.get("result"),
    attempt: d.get("attempt"),
    startedMs: ms(d.get("startedAt"))!,
    attemptStartedMs: ms(d.get("attemptStartedAt")) ?? ms(d.get("startedAt"))!,
    retryAtMs: ms(d.get("retryAt")),
    requestId: d.get("requestId") ?? null,
    providerMessageId: d.get("providerMessageId") ?? null,
    targetAccountId: d.get("targetAccountId") ?? null,
    deadlineSec: d.get("deadlineSec") ?? null,
  };
}

/** `probes/{probeKey}`, and the outbox / inbound documents a probe is judged by. */
export function firestoreProbeStore(db: Firestore, writer: string): ProbeStore {
  const probes = db.collection(paths.longrun.probes);
  return {
    async createProbe(doc) {
      try {
        await probes.doc(doc.key).create({
          ...toFirestore(doc as unknown as Record<string, unknown>),
          startedIso: new Date(doc.startedMs).toISOString(),
          expireAt: Timestamp.fromMillis(doc.startedMs + PROBE_RETENTION_MS),
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
        .doc(key)
        .update({ ...toFirestore(fields), updatedAt: FieldValue.serverTimestamp(), updatedBy: writer });
    },

    async pendingProbes() {
      return (await probes.where("result", "==", "PENDING").get()).docs.map(fromFirestore);
    },

    async recentResults(type, limit) {
      const snap = await probes.where("type", "==", type).orderBy("startedAt", "desc").limit(limit).get();
      return snap.docs.map((d) => d.get("result") as ProbeResult);
    },

    async sendProbeMessage({ accountId, toJid, clientMessageId, text }) {
      const { requestId } = await handleSend(
        { store: firestoreSendStore(db), now: () => new Date(), rateLimit: { maxSends: 1000, windowSec: 60 } },
        PROBE_CALLER,
        { accountId, toJid, text, clientMessageId, threadId: probeThreadId(accountId) },
      );
      return { requestId, providerMessageId: providerMessageIdFor(requestId) };
    },

    async outboxEntry(requestId) {
      const snap = await db.doc(paths.outboxEntry(requestId)).get();
      if (!snap.exists) return undefined;
      return { status: snap.get("status"), sentMs: ms(snap.get("sentAt")), lastError: snap.get("lastError") ?? null };
    },

    async inboundStoredMs(accountId, messageId) {
      const snap = await db.collection(collections.inboundDedupe).doc(inboundDedupeId(accountId, messageId)).get();
      return snap.exists ? ms(snap.get("createdAt")) : null;
    },

    async accountJid(accountId) {
      const jid = (await db.doc(paths.account(accountId)).get()).get("waJid");
      return typeof jid === "string" ? jid : null;
    },
  };
}
