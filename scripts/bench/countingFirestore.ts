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

  const QUERY_BUILDERS = new Set([
    "where",
    "orderBy",
    "limit",
    "limitToLast",
    "select",
    "startAt",
    "startAfter",
    "endAt",
    "endBefore",
    "offset",
  ]);
  type AnyFn = (...a: unknown[]) => unknown;

  // Queries and collections: builders return counted queries; get() and onSnapshot() count results.
  const countQuery = <Q extends object>(query: Q): Q =>
    new Proxy(query, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        const fn = value as AnyFn;
        if (QUERY_BUILDERS.has(String(prop)))
          return (...args: unknown[]) => countQuery(fn.apply(target, args) as object);
        if (prop === "doc") return (...args: unknown[]) => countDoc(fn.apply(target, args) as object);
        if (prop === "get") {
          return async (...args: unknown[]) => {
            const snap = (await fn.apply(target, args)) as { size: number };
            counts.reads += Math.max(1, snap.size); // an empty query result still costs one read
            return snap;
          };
        }
        if (prop === "count") {
          return () => {
            const agg = fn.apply(target, []) as { get(): Promise<{ data(): { count: number } }> };
            return {
              get: async () => {
                const res = await agg.get();
                counts.reads += Math.max(1, Math.ceil(res.data().count / 1000));
                return res;
              },
            };
          };
        }
        if (prop === "onSnapshot") {
          return (next: (snap: { docChanges(): unknown[] }) => void, error?: unknown) =>
            fn.call(
              target,
              (snap: { docChanges(): unknown[] }) => {
                counts.reads += snap.docChanges().length;
                next(snap);
              },
              error,
            );
        }
        return fn.bind(target);
      },
    });

  const countDoc = <D extends object>(ref: D): D =>
    new Proxy(ref, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        const fn = value as AnyFn;
        if (prop === "get") {
          return async (...args: unknown[]) => {
            counts.reads += 1;
            return fn.apply(target, args);
          };
        }
        if (prop === "create" || prop === "set" || prop === "update" || prop === "delete") {
          return async (...args: unknown[]) => {
            counts.writes += 1;
            return fn.apply(target, args);
          };
        }
        return fn.bind(target);
      },
    });

  const proxied = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "runTransaction") {
        return (fn: (tx: Transaction) => Promise<unknown>, options?: unknown) =>
          target.runTransaction((tx) => fn(countTransaction(tx)), options as never);
      }
      if (prop === "getAll") {
        return (...refs: unknown[]) => {
          counts.reads += refs.length;
          return target.getAll(...(refs as Parameters<Firestore["getAll"]>));
        };
      }
      if (prop === "batch") {
        return () =>
          new Proxy(target.batch(), {
            get(batch, key, r) {
              const fn = Reflect.get(batch, key, r) as unknown;
              if (typeof fn !== "function") return fn;
              return (...args: unknown[]) => {
                if (key === "create" || key === "set" || key === "update" || key === "delete") counts.writes += 1;
                const out = (fn as AnyFn).apply(batch, args);
                return out === batch ? r : out;
              };
            },
          });
      }
      if (prop === "collection") return (path: string) => countQuery(target.collection(path));
      if (prop === "doc") return (path: string) => countDoc(target.doc(path));
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
