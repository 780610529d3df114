import { initializeApp } from "firebase-admin/app";
import { getFirestore, type DocumentReference, type Firestore, type WriteBatch } from "firebase-admin/firestore";
import { emulator } from "./emulator";

type Match = (data: Record<string, unknown>, path: string) => boolean;

/**
 * A real Firestore client with faults injected at the SDK boundary, on batch commits (every
 * fenced write of the worker is one):
 * - `failNextCommits(count, match)`: the next `count` commits that write a document `match`es
 *   fail with gRPC UNAVAILABLE (what an outage past the SDK's own retries looks like), unapplied;
 * - `holdNextCommit(match)`: the next matching commit waits until the test lets it go, so a
 *   test can act while a write is in flight.
 */
export function faultyFirestore(db: Firestore) {
  let failing: { count: number; match: Match } = { count: 0, match: () => false };
  let holding: { match: Match; reached: () => void; gate: Promise<void> } | undefined;
  let injected = 0;
  const proxied = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "batch") {
        return () => {
          const batch = target.batch();
          const written: [Record<string, unknown>, string][] = [];
          return new Proxy(batch, {
            get(b, key, r) {
              const value = Reflect.get(b, key, r) as unknown;
              if (typeof value !== "function") return value;
              if (key === "update" || key === "set" || key === "create") {
                return (...args: unknown[]) => {
                  written.push([args[1] as Record<string, unknown>, (args[0] as DocumentReference).path]);
                  (value as (...a: unknown[]) => unknown).apply(b, args);
                  return r;
                };
              }
              if (key === "commit") {
                return async () => {
                  const hold = holding;
                  if (hold && written.some(([data, path]) => hold.match(data, path))) {
                    holding = undefined;
                    hold.reached();
                    await hold.gate;
                  }
                  if (failing.count > 0 && written.some(([data, path]) => failing.match(data, path))) {
                    failing.count--;
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
    failNextCommits(count: number, match: Match) {
      failing = { count, match };
    },
    /** `reached` resolves when the matching commit is waiting; `release()` lets it go on. */
    holdNextCommit(match: Match): { reached: Promise<void>; release: () => void } {
      let release!: () => void;
      let reached!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const reachedP = new Promise<void>((r) => (reached = r));
      holding = { match, reached, gate };
      return { reached: reachedP, release };
    },
    injected: () => injected,
  };
}

/** A fresh client of the emulator (its own app), wrapped by `faultyFirestore`. */
export function faultyEmulatorFirestore() {
  const app = initializeApp({ projectId: emulator().projectId }, `faulty-${++apps}-${Date.now()}`);
  return faultyFirestore(getFirestore(app));
}
let apps = 0;
