import { initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getAuth as getAdminAuth } from "firebase-admin/auth";
import { initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signInWithEmailAndPassword,
} from "firebase/auth";
import { connectFirestoreEmulator, getFirestore } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { connectAdmin, connectGateway, watchAccount, watchMessageStatus } from "../client/src/index";
import { localProjectId, localStackPorts } from "./lib/project";

/**
 * `npm run demo`, against a running `npm start`: what a client app does. An admin adds an
 * account; the worker links it (the fake phone scans the QR); a member sends a message
 * and watches it go queued → sent → delivered through the security rules. It uses the typed
 * client (client/, `@wa-gateway/client` in an app) as an app would: the repository's one example.
 */
async function main(): Promise<void> {
  const projectId = localProjectId();
  const ports = localStackPorts();
  process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${ports.auth}`;

  const app = initializeApp({ projectId, apiKey: "demo-api-key" });
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://127.0.0.1:${ports.auth}`, { disableWarnings: true });
  const functions = getFunctions(app, "us-central1");
  connectFunctionsEmulator(functions, "127.0.0.1", ports.functions);
  const firestore = getFirestore(app);
  connectFirestoreEmulator(firestore, "127.0.0.1", ports.firestore);
  const gateway = connectGateway(app, { functions });
  const admin = connectAdmin(app, { functions });

  const stamp = Date.now();
  const adminEmail = `admin-${stamp}@example.test`;
  const user = await createUserWithEmailAndPassword(auth, adminEmail, "password-123");
  await getAdminAuth(initializeAdminApp({ projectId })).setCustomUserClaims(user.user.uid, { admin: true });
  await signInWithEmailAndPassword(auth, adminEmail, "password-123"); // fresh token with the claim
  console.log(`signed in as admin ${user.user.uid}`);

  const { accountId } = await gateway.whatsappProxyAddAccount({ label: "Demo shop" });
  console.log(`whatsappProxyAddAccount → ${accountId} (pending_qr); waiting for the worker to link it…`);

  await new Promise<void>((resolve, reject) => {
    const stop = watchAccount(
      firestore,
      accountId,
      (account) => {
        if (!account) return;
        if (account.qr)
          console.log(`  account ${account.status}: QR ready (${account.qr.slice(0, 24)}…), the phone scans it`);
        else if (account.pairingCode) console.log(`  account ${account.status}: pairing code ${account.pairingCode}`);
        else console.log(`  account ${account.status}`);
        if (account.status === "connected") {
          stop();
          resolve();
        }
      },
      reject,
    );
  });

  // Admins may use every account; a member would be listed in the account's memberUids.
  const { requestId, duplicate } = await gateway.whatsappProxySend({
    threadId: `demo-${stamp}`,
    accountId,
    toJid: "+40712345678",
    text: "Hello from the WhatsApp Firebase Gateway demo",
    clientMessageId: `demo-${stamp}`,
  });
  console.log(`whatsappProxySend → requestId ${requestId} duplicate=${duplicate}`);

  await new Promise<void>((resolve, reject) => {
    const stop = watchMessageStatus(
      firestore,
      { threadId: `demo-${stamp}`, requestId },
      (status) => {
        console.log(`  message ${status}`);
        if (status === "delivered" || status === "read") {
          stop();
          resolve();
        }
      },
      reject,
    );
  });
  console.log("the recipient's phone reported it delivered (see the worker's outbox_sent line)");

  // The operator side: today's monitoring rollup so far, computed on demand.
  const today = new Date().toISOString().slice(0, 10);
  const rollup = await admin.whatsappAdminRunRollup({ date: today });
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
