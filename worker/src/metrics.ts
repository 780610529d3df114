import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { collections } from "@wa-gateway/core";

const FIVE_MIN_MS = 5 * 60_000;

/** This worker's own counters; system-wide outbox figures come from Firestore (see outboxFigures). */
export class WorkerMetrics {
  rawSends = 0;
  reconnectCount = 0;
  private readonly sent: number[] = [];
  private readonly failed: number[] = [];
  private readonly sendLatencies: number[] = [];

  recordSent(latencyMs: number): void {
    this.sent.push(Date.now());
    this.sendLatencies.push(latencyMs);
    if (this.sendLatencies.length > 1000) this.sendLatencies.shift();
  }

  recordFailed(): void {
    this.failed.push(Date.now());
  }

  private static recent(times: number[]): number {
    const cutoff = Date.now() - FIVE_MIN_MS;
    while (times.length && times[0]! < cutoff) times.shift();
    return times.length;
  }

  snapshot() {
    return {
      sentLast5mByThisWorker: WorkerMetrics.recent(this.sent),
      failedLast5mByThisWorker: WorkerMetrics.recent(this.failed),
      rawSends: this.rawSends,
      reconnectCount: this.reconnectCount,
    };
  }
}

/**
 * The seed's system-wide figures, by count aggregations (one read per 1000 entries counted),
 * cached so that frequent scrapes do not multiply reads.
 */
export function outboxFigures(db: Firestore, cacheMs = 10_000) {
  let cached: { at: number; value: Record<string, number | null> } | undefined;
  const outbox = db.collection(collections.outbox);
  const count = async (q: FirebaseFirestore.Query) => (await q.count().get()).data().count;

  return async (): Promise<Record<string, number | null>> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    const since = Timestamp.fromMillis(Date.now() - FIVE_MIN_MS);
    const [queuedCount, processingCount, sentLast5m, failedLast5m, oldest] = await Promise.all([
      count(outbox.where("status", "==", "queued")),
      count(outbox.where("status", "==", "processing")),
      count(outbox.where("status", "==", "sent").where("sentAt", ">=", since)),
      count(outbox.where("status", "==", "failed").where("updatedAt", ">=", since)),
      outbox.where("status", "==", "queued").orderBy("createdAt").limit(1).get(),
    ]);
    const oldestAt = oldest.docs[0]?.get("createdAt") as Timestamp | undefined;
    const value = {
      queuedCount,
      processingCount,
      sentLast5m,
      failedLast5m,
      outboxLagSeconds: oldestAt ? Math.max(0, Math.round((Date.now() - oldestAt.toMillis()) / 1000)) : 0,
    };
    cached = { at: Date.now(), value };
    return value;
  };
}
