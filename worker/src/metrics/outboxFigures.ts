import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { outbox as outboxDocs } from "@wa-gateway/data";

const FIVE_MIN_MS = 5 * 60_000;

export interface OutboxFigures {
  queuedCount: number;
  processingCount: number;
  sentLast5m: number;
  failedLast5m: number;
  outboxLagSeconds: number;
  /** When these figures were read (ms). */
  readAtMs: number;
}

/** The seed's system-wide outbox figures, by count aggregations (one read per 1000 entries counted). */
export function readOutboxFigures(db: Firestore): () => Promise<OutboxFigures> {
  const outbox = outboxDocs.all(db);
  const count = async <T>(q: FirebaseFirestore.Query<T>) => (await q.count().get()).data().count;

  return async function read(): Promise<OutboxFigures> {
    const since = Timestamp.fromMillis(Date.now() - FIVE_MIN_MS);
    const [queuedCount, processingCount, sentLast5m, failedLast5m, oldest] = await Promise.all([
      count(outbox.where("status", "==", "queued")),
      count(outbox.where("status", "==", "processing")),
      count(outbox.where("status", "==", "sent").where("sentAt", ">=", since)),
      count(outbox.where("status", "==", "failed").where("updatedAt", ">=", since)),
      outboxDocs.oldestQueuedMs(db),
    ]);
    const readAtMs = Date.now();
    return {
      queuedCount,
      processingCount,
      sentLast5m,
      failedLast5m,
      outboxLagSeconds: oldest === null ? 0 : Math.max(0, Math.round((readAtMs - oldest) / 1000)),
      readAtMs,
    };
  };
}

/**
 * `read`, shared: one refresh at a time however many scrapes ask, at most one per `cacheMs`, and
 * a caller waits at most `waitMs`: past that it gets the last figures read (or null before the
 * first), so an unreachable Firestore cannot hang a scrape.
 */
export function sharedFigures<T extends { readAtMs: number }>(
  read: () => Promise<T>,
  { cacheMs = 10_000, waitMs = 2_000 } = {},
): () => Promise<T | null> {
  let last: T | null = null;
  let inFlight: Promise<T> | null = null;
  return async () => {
    if (last && Date.now() - last.readAtMs < cacheMs) return last;
    inFlight ??= read()
      .then((figures) => (last = figures))
      .finally(() => (inFlight = null));
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<null>((resolve) => (timer = setTimeout(resolve, waitMs, null)));
    try {
      return (await Promise.race([inFlight.catch(() => null), bounded])) ?? last;
    } finally {
      clearTimeout(timer);
    }
  };
}
