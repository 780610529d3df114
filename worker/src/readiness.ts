import type { Firestore } from "firebase-admin/firestore";
import { monitoringConfigDoc } from "@wa-gateway/data";

export type FirestoreCheck = { ok: true; latencyMs: number } | { ok: false; error: string };

/**
 * Whether Firestore answers: one document read, at most once per `cacheMs`, so probes
 * from Cloud Run do not turn into a read per request.
 */
export function firestoreReadiness(db: Firestore, { timeoutMs = 2000, cacheMs = 5000 } = {}) {
  let last: { at: number; result: FirestoreCheck } | undefined;
  let inFlight: Promise<FirestoreCheck> | undefined;

  async function probe(): Promise<FirestoreCheck> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        // A raw read (no schema): readiness asks whether Firestore answers, not whether data is good.
        monitoringConfigDoc.ref(db).get(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, latencyMs: Date.now() - started };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  return async function check(): Promise<FirestoreCheck> {
    if (last && Date.now() - last.at < cacheMs) return last.result;
    inFlight ??= probe().then((result) => {
      last = { at: Date.now(), result };
      inFlight = undefined;
      return result;
    });
    return inFlight;
  };
}
