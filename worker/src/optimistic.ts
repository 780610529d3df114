import type { DocumentReference, DocumentSnapshot, Firestore } from "firebase-admin/firestore";

/** gRPC FAILED_PRECONDITION: a document changed since it was read. */
const FAILED_PRECONDITION = 9;
const MAX_ATTEMPTS = 10;

export interface OptimisticDecision<R> {
  result: R;
  /** Documents to update; each must be one of the documents read, and commits only if unchanged since. */
  updates?: [DocumentReference, Record<string, unknown>][];
}

/**
 * Read, decide, then commit the updates in one batch that holds only if every updated document
 * is unchanged since it was read (update-time preconditions); on a conflict, read again.
 * Unlike a transaction it takes no locks, so a worker killed half-way (SIGKILL) leaves nothing
 * for the others to wait on.
 */
export async function optimisticUpdate<R>(
  db: Firestore,
  refs: DocumentReference[],
  decide: (snaps: DocumentSnapshot[]) => OptimisticDecision<R> | Promise<OptimisticDecision<R>>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const snaps = await db.getAll(...refs);
    const { result, updates = [] } = await decide(snaps);
    if (updates.length === 0) return result;
    const batch = db.batch();
    for (const [ref, data] of updates) {
      const snap = snaps.find((s) => s.ref.path === ref.path);
      if (!snap?.exists || !snap.updateTime)
        throw new Error(`optimisticUpdate: ${ref.path} was not read or does not exist`);
      batch.update(ref, data, { lastUpdateTime: snap.updateTime });
    }
    try {
      await batch.commit();
      return result;
    } catch (err) {
      if ((err as { code?: number }).code !== FAILED_PRECONDITION || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
