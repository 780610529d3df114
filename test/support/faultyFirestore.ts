import type { Firestore, WriteBatch } from "firebase-admin/firestore";

/**
 * A real Firestore client with faults injected at the SDK boundary: the next `count` batch
 * commits that write `match` fail with gRPC UNAVAILABLE (what an outage past the SDK's own
 * retries looks like), and are not applied.
 */
export function faultyFirestore(db: Firestore) {
  let pending: { count: number; match: (data: Record<string, unknown>) => boolean } = { count: 0, match: () => false };
  let injected = 0;
  const proxied = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "batch") {
        return () => {
          const batch = target.batch();
          const written: Record<string, unknown>[] = [];
          return new Proxy(batch, {
            get(b, key, r) {
              const value = Reflect.get(b, key, r) as unknown;
              if (typeof value !== "function") return value;
              if (key === "update" || key === "set") {
                return (...args: unknown[]) => {
                  written.push(args[1] as Record<string, unknown>);
                  (value as (...a: unknown[]) => unknown).apply(b, args);
                  return r;
                };
              }
              if (key === "commit") {
                return async () => {
                  if (pending.count > 0 && written.some(pending.match)) {
                    pending.count--;
                    injected++;
                    throw Object.assign(new Error("14 UNAVAILABLE: injected fault"), { code: 14 });
                  }
                  return (b as WriteBatch).commit();
                };
              }
              return (value as (...a: unknown[]) => unknown).bind(b);
            },
          });
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    db: proxied,
    failNextCommits(count: number, match: (data: Record<string, unknown>) => boolean) {
      pending = { count, match };
    },
    injected: () => injected,
  };
}
