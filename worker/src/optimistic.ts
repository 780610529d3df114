import type { DocumentData, DocumentReference, Firestore, UpdateData } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { readTogether, type AnyRef, type Snapshots } from "@wa-gateway/data";
import type { ServerClock } from "./serverClock";

const MAX_ATTEMPTS = 10;

/** One change to a document that was read, typed by its collection's schema. */
export interface DocumentUpdate {
  ref: AnyRef;
  data: UpdateData<DocumentData>;
}
export const updateOf = <T, W extends DocumentData>(
  ref: DocumentReference<T, W>,
  data: UpdateData<W>,
): DocumentUpdate => ({
  ref: ref as unknown as AnyRef,
  data: data as UpdateData<DocumentData>,
});

export interface OptimisticDecision<R> {
  result: R;
  /** Documents to update; each must be one of the documents read, and commits only if unchanged since. */
  updates?: DocumentUpdate[];
}

/**
 * Read, decide, then commit the updates in one batch that holds only if every updated document
 * is unchanged since it was read (update-time preconditions); on a conflict, read again. Every
 * worker write goes this way, never through a locking transaction: why is in core/src/leases.ts.
 *
 * `decide` gets the server's time of the read (`nowMs`): every lease is judged and written on
 * Firestore's clock, never on the worker's own (see serverClock.ts); `clock` learns it too.
 */
export async function optimisticUpdate<const Refs extends readonly AnyRef[], R>(
  db: Firestore,
  refs: Refs,
  decide: (snaps: Snapshots<Refs>, nowMs: number) => OptimisticDecision<R> | Promise<OptimisticDecision<R>>,
  clock?: ServerClock,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const snaps = await readTogether(db, refs);
    const nowMs = snaps[0]!.readTime.toMillis();
    clock?.observe(nowMs);
    const { result, updates = [] } = await decide(snaps, nowMs);
    if (updates.length === 0) return result;
    const batch = db.batch();
    for (const { ref, data } of updates) {
      const snap = snaps.find((s) => s.ref.path === ref.path);
      if (!snap?.exists || !snap.updateTime)
        throw new Error(`optimisticUpdate: ${ref.path} was not read or does not exist`);
      batch.update(ref, data, { lastUpdateTime: snap.updateTime });
    }
    try {
      await batch.commit();
      return result;
    } catch (err) {
      // FAILED_PRECONDITION: a document changed since it was read; read again.
      if (grpcStatusOf(err) !== GrpcStatus.FAILED_PRECONDITION || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
