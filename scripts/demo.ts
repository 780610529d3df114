import { initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getAuth as getAdminAuth } from "firebase-admin/auth";
import { initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signInWithEmailAndPassword,
} from "firebase/auth";
import { connectFirestoreEmulator, getDocs, getFirestore, type Firestore } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { documentRefs } from "../client/src/documents";
import {
  connectAdmin,
  connectGateway,
  mediaUrl,
  uploadAndSend,
  watchAccount,
  watchMessageStatus,
  watchThreadMessages,
  type GatewayCallables,
} from "../client/src/index";
import { localCloudApiNumber, localProjectId, localStackPorts } from "./lib/project";

/** A 1×1 PNG: the demo's photo. */
const DEMO_PHOTO = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/**
 * `npm run demo`, against a running `npm start`: what a client app does. An admin adds an
 * account; the worker links it (the fake phone scans the QR); a member sends a message
 * and watches it go queued → sent → delivered through the security rules, then sends a photo
 * (an upload, a PUT, a send) and reads it back by a signed URL. Then the same app code
 * on a Cloud API account (the stack's fake Meta): free-form text to a customer who never wrote is
 * refused, an approved template goes, the customer answers, and a free-form reply goes. It uses
 * the typed client (client/, `@wa-gateway/client` in an app) as an app would: the repository's one example.
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

  await connected(firestore, accountId);

  // Admins may use every account; a member would be listed in the account's memberUids.
  const { requestId, duplicate } = await gateway.whatsappProxySend({
    threadId: `demo-${stamp}`,
    accountId,
    toJid: "+40712345678",
    text: "Hello from the WhatsApp Firebase Gateway demo",
    clientMessageId: `demo-${stamp}`,
  });
  console.log(`whatsappProxySend → requestId ${requestId} duplicate=${duplicate}`);

  await delivered(firestore, `demo-${stamp}`, requestId);
  console.log("the recipient's phone reported it delivered (see the worker's outbox_sent line)");

  // A photo in the same thread: an upload the callable signs, a PUT to the bucket, a send.
  const photo = await uploadAndSend(gateway, {
    accountId,
    threadId: `demo-${stamp}`,
    toJid: "+40712345678",
    clientMessageId: `demo-photo-${stamp}`,
    file: { bytes: DEMO_PHOTO, kind: "image", contentType: "image/png", caption: "Your order, packed" },
  });
  await delivered(firestore, `demo-${stamp}`, photo.requestId);
  const { url, size } = await mediaUrl(gateway, { threadId: `demo-${stamp}`, id: photo.requestId });
  const served = Buffer.from(await (await fetch(url)).arrayBuffer());
  console.log(
    `uploadAndSend (a ${size}-byte photo) → delivered; mediaUrl → a signed URL (5 min) that served ` +
      `${served.equals(DEMO_PHOTO) ? "the same bytes" : `${served.length} other bytes`}: ${url}`,
  );

  await cloudApiDemo(gateway, firestore, stamp);

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

/** The same calls on a Cloud API account: Meta's 24-hour window, a template, the customer's answer, a reply. */
async function cloudApiDemo(gateway: GatewayCallables, firestore: Firestore, stamp: number): Promise<void> {
  const accountId = await cloudApiAccount(gateway);
  await connected(firestore, accountId);
  const templates = await eventually(async () => {
    const docs = (await getDocs(documentRefs.messageTemplates(firestore, accountId))).docs;
    return docs.length ? docs.map((d) => `${d.data().name} (${d.data().language}, ${d.data().status})`) : undefined;
  });
  console.log(`  its templates, synced from Meta: ${templates.join(", ")}`);

  const threadId = `demo-cloud-${stamp}`;
  // A new customer each run: one thread per account and customer.
  const to = { threadId, accountId, toJid: `+49151${String(stamp % 10_000_000).padStart(7, "0")}` };
  try {
    await gateway.whatsappProxySend({ ...to, text: "Hi!", clientMessageId: `demo-cloud-text-${stamp}` });
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    console.log(`whatsappProxySend (free-form, the customer never wrote) → ${code}: ${message}`);
  }
  const template = { name: "order_update", language: "en_US", parameters: ["Ana", "A-17"] };
  const sent = await gateway.whatsappProxySendTemplate({ ...to, template, clientMessageId: `demo-cloud-t-${stamp}` });
  console.log(`whatsappProxySendTemplate order_update → requestId ${sent.requestId}`);
  await delivered(firestore, threadId, sent.requestId);

  const answer = await new Promise<string>((resolve, reject) => {
    const stop = watchThreadMessages(
      firestore,
      threadId,
      (messages) => {
        const inbound = messages.find((m) => m.direction === "in");
        if (inbound) {
          stop();
          resolve(inbound.text);
        }
      },
      reject,
    );
  });
  console.log(`  the customer answered: "${answer}" (the 24-hour window is open)`);
  const reply = await gateway.whatsappProxySend({
    ...to,
    text: "It arrives on Friday.",
    clientMessageId: `demo-cloud-reply-${stamp}`,
  });
  console.log(`whatsappProxySend (free-form, within the window) → requestId ${reply.requestId}`);
  await delivered(firestore, threadId, reply.requestId);
}

/** The Cloud API account of the stack's one number: added, or the one an earlier run added. */
async function cloudApiAccount(gateway: GatewayCallables): Promise<string> {
  try {
    const { accountId } = await gateway.whatsappProxyAddAccount({
      label: "Demo shop (Cloud API)",
      cloudApi: localCloudApiNumber(),
    });
    console.log(`whatsappProxyAddAccount (cloudApi) → ${accountId}: no QR, the worker checks its token with Meta…`);
    return accountId;
  } catch (err) {
    const { accounts } = await gateway.whatsappProxyGetAccounts({});
    const earlier = accounts.find((a) => a.transport === "cloud_api" && a.status !== "removed");
    if (!earlier) throw err;
    console.log(`the number's Cloud API account is already there (${earlier.accountId}): using it`);
    return earlier.accountId;
  }
}

/** Resolves once the account is connected, printing what it goes through. */
function connected(firestore: Firestore, accountId: string): Promise<void> {
  let shown = "";
  return new Promise<void>((resolve, reject) => {
    const stop = watchAccount(
      firestore,
      accountId,
      (account) => {
        if (!account) return;
        const line = account.qr
          ? `  account ${account.status}: QR ready (${account.qr.slice(0, 24)}…), the phone scans it`
          : account.pairingCode
            ? `  account ${account.status}: pairing code ${account.pairingCode}`
            : `  account ${account.status}`;
        // The document changes more often than what is shown (lease renewals): each line once.
        if (line !== shown) console.log(line);
        shown = line;
        if (account.status === "connected") {
          stop();
          resolve();
        }
      },
      reject,
    );
  });
}

/** Resolves once the message is delivered (or read), printing each status. */
function delivered(firestore: Firestore, threadId: string, requestId: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stop = watchMessageStatus(
      firestore,
      { threadId, requestId },
      (status) => {
        console.log(`  message ${status}`);
        if (status === "failed") reject(new Error(`message ${requestId} failed`));
        if (status === "delivered" || status === "read") {
          stop();
          resolve();
        }
      },
      reject,
    );
  });
}

/** `probe`'s first answer, tried every half second for up to 30 s. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 60; i++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("timed out");
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message} (is \`npm start\` running?)`);
  process.exit(1);
});
