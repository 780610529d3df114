import type { Firestore, Transaction } from "firebase-admin/firestore";

/**
 * Counts the document reads and writes made through a Firestore client: what Firestore
 * bills, counted at the SDK boundary rather than estimated. Covers what the stores use
 * (transactions, document get/create/set/update/delete).
 */
export interface OpCounts {
  reads: number;
  writes: number;
}

export function countingFirestore(db: Firestore): { db: Firestore; counts: OpCounts; reset(): void } {
  const counts: OpCounts = { reads: 0, writes: 0 };

  const countTransaction = (tx: Transaction): Transaction =>
    new Proxy(tx, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (prop === "get") counts.reads += 1;
          if (prop === "getAll") counts.reads += args.filter((a) => a && typeof a === "object" && "path" in a).length;
          if (prop === "create" || prop === "set" || prop === "update" || prop === "delete") counts.writes += 1;
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? receiver : result;
        };
      },
    });

  const proxied = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "runTransaction") {
        return (fn: (tx: Transaction) => Promise<unknown>, options?: unknown) =>
          target.runTransaction((tx) => fn(countTransaction(tx)), options as never);
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    db: proxied,
    counts,
    reset() {
      counts.reads = 0;
      counts.writes = 0;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
