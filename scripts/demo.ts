import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getAuth as getAdminAuth } from "firebase-admin/auth";
import { initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signInWithEmailAndPassword,
} from "firebase/auth";
import { connectFirestoreEmulator, doc, getFirestore, onSnapshot } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions, httpsCallable } from "firebase/functions";
import { localProjectId, REPO_ROOT } from "./lib/project";

/**
 * `npm run demo`, against a running `npm start`: what a client app does. An admin adds an
 * account; the worker links it (the fake phone scans the QR); a member sends a message
 * and watches it go queued → sent → delivered through the security rules.
 */
async function main(): Promise<void> {
  const projectId = localProjectId();
  const ports = (
    JSON.parse(readFileSync(join(REPO_ROOT, "firebase.json"), "utf8")) as {
      emulators: Record<string, { port: number }>;
    }
  ).emulators;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${ports.auth!.port}`;

  const app = initializeApp({ projectId, apiKey: "demo-api-key" });
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://127.0.0.1:${ports.auth!.port}`, { disableWarnings: true });
  const functions = getFunctions(app, "us-central1");
  connectFunctionsEmulator(functions, "127.0.0.1", ports.functions!.port);
  const firestore = getFirestore(app);
  connectFirestoreEmulator(firestore, "127.0.0.1", ports.firestore!.port);
  const call = async <T>(name: string, data: unknown) => (await httpsCallable(functions, name)(data)).data as T;

  const stamp = Date.now();
  const adminEmail = `admin-${stamp}@example.test`;
  const admin = await createUserWithEmailAndPassword(auth, adminEmail, "password-123");
  await getAdminAuth(initializeAdminApp({ projectId })).setCustomUserClaims(admin.user.uid, { admin: true });
  await signInWithEmailAndPassword(auth, adminEmail, "password-123"); // fresh token with the claim
  console.log(`signed in as admin ${admin.user.uid}`);

  const { accountId } = await call<{ accountId: string }>("whatsappProxyAddAccount", { label: "Demo shop" });
  console.log(`whatsappProxyAddAccount → ${accountId} (pending_qr); waiting for the worker to link it…`);

  await new Promise<void>((resolve) => {
    const stop = onSnapshot(doc(firestore, "accounts", accountId), (snap) => {
      const status = snap.get("status") as string;
      if (snap.get("qr"))
        console.log(`  account ${status}: QR ready (${String(snap.get("qr")).slice(0, 24)}…), the fake phone scans it`);
      else console.log(`  account ${status}`);
      if (status === "connected") {
        stop();
        resolve();
      }
    });
  });

  // Admins may use every account; a member would be listed in the account's memberUids.
  const { requestId, duplicate } = await call<{ requestId: string; duplicate: boolean }>("whatsappProxySend", {
    threadId: `demo-${stamp}`,
    accountId,
    toJid: "+40712345678",
    text: "Hello from the WhatsApp Firebase Gateway demo",
    clientMessageId: `demo-${stamp}`,
  });
  console.log(`whatsappProxySend → requestId ${requestId} duplicate=${duplicate}`);

  await new Promise<void>((resolve) => {
    const stop = onSnapshot(doc(firestore, "threads", `demo-${stamp}`, "messages", requestId), (snap) => {
      console.log(`  message ${snap.get("status")}`);
      if (snap.get("status") === "delivered" || snap.get("status") === "read") {
        stop();
        resolve();
      }
    });
  });
  console.log("the recipient's phone reported it delivered (see the worker's outbox_sent line)");

  // The operator side: today's monitoring rollup so far, computed on demand.
  const today = new Date().toISOString().slice(0, 10);
  const rollup = await call<{ heartbeat: { coverage: number | null; observedBuckets: number }; gapCount: number }>(
    "whatsappAdminRunRollup",
    { date: today },
  );
  console.log(
    `whatsappAdminRunRollup ${today} → heartbeat coverage ${rollup.heartbeat.coverage ?? "n/a"} ` +
      `(${rollup.heartbeat.observedBuckets} beats), ${rollup.gapCount} gap(s)`,
  );
  console.log("done");
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message} (is \`npm start\` running?)`);
  process.exit(1);
});
