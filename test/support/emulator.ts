import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";

/** The emulator `npm test` started (scripts/with-emulator.ts); suites fail, not skip, without it. */
export function emulator(): { host: string; projectId: string } {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  const projectId = process.env.GCLOUD_PROJECT;
  if (!host || !projectId?.startsWith("demo-")) {
    throw new Error("FIRESTORE_EMULATOR_HOST and a demo- GCLOUD_PROJECT are not set: run the suites with `npm test`");
  }
  return { host, projectId };
}

/** Deletes every document in the emulator's default database. */
export async function resetFirestore(): Promise<void> {
  const { host, projectId } = emulator();
  // 409 while a transaction of an earlier suite's process is still open, 499 when the emulator
  // cancels the reset against a connection that just went away: wait and try again.
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
      method: "DELETE",
    });
    if (res.ok) return await settledAfterReset();
    if (![409, 499].includes(res.status) || attempt >= 40) throw new Error(`emulator reset failed: HTTP ${res.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The emulator can cancel (gRPC CANCELLED) a call that reaches it just as a reset ends, seen
 * as a fixture write failing in a suite's `beforeEach`: write and delete a probe document
 * until one gets through, so the suite's own first write does not meet it.
 */
async function settledAfterReset(): Promise<void> {
  const probe = adminDb().doc("emulatorReset/probe");
  for (let attempt = 1; ; attempt++) {
    try {
      await probe.set({ at: Date.now() });
      await probe.delete();
      return;
    } catch (err) {
      if (grpcStatusOf(err) !== GrpcStatus.CANCELLED || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** An Admin SDK Firestore on the emulator (the default app, shared by the suites). */
export function adminDb(): Firestore {
  const { projectId } = emulator();
  return getFirestore(getApps().find((app) => app.name === "[DEFAULT]") ?? initializeApp({ projectId }));
}
