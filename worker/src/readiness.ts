import type { Firestore } from "firebase-admin/firestore";
import { monitoringConfigDoc } from "@wa-gateway/data";

export type FirestoreCheck = { ok: true; latencyMs: number } | { ok: false; error: string };

/**
 * Whether Firestore answers: one document read, at most once per `cacheMs`, so probes
 * from Cloud Run do not turn into a read per request.
 */
export function firestoreReadiness(
  db: Firestore,
  {
    timeoutMs = 2000,
    cacheMs = 5000,
    onResult,
  }: { timeoutMs?: number; cacheMs?: number; onResult?: (result: FirestoreCheck) => void } = {},
) {
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
      onResult?.(result);
      return result;
    });
    return inFlight;
  };
}

/** What an operator should check when Firestore does not answer, for where the worker points. */
export function firestoreHint(emulatorHost: string | undefined, projectId: string): string {
  return emulatorHost
    ? `is the Firestore emulator running at ${emulatorHost}? (npm start, npm run emulator; FIRESTORE_EMULATOR_HOST)`
    : `does project ${projectId} have a Firestore database, and may this service account use it (roles/datastore.user)? Check GCLOUD_PROJECT and the network`;
}

/**
 * Checks Firestore at start-up and every `everyMs` until it first answers: a worker pointed at
 * a Firestore that is not there says so (each failure is logged by the check) instead of
 * waiting silently for a /readyz probe. Returns a stop function.
 */
export function checkUntilReady(check: () => Promise<FirestoreCheck>, everyMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = (): void => {
    void check().then((result) => {
      if (!result.ok && !stopped) timer = setTimeout(run, everyMs);
    });
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
