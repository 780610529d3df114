import { initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";

/**
 * The worker's Firestore client (Admin SDK; the emulator when FIRESTORE_EMULATOR_HOST is set),
 * on an app of its own so that terminating it at shutdown touches nothing else in the process.
 */
export function openFirestore(projectId: string, workerId: string): Firestore {
  return getFirestore(initializeApp({ projectId }, `worker-${workerId}`));
}
