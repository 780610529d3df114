import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getAuth as getAdminAuth } from "firebase-admin/auth";
import { deleteApp, FirebaseError, initializeApp, type FirebaseApp } from "firebase/app";
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signInWithEmailAndPassword,
} from "firebase/auth";
import { connectFirestoreEmulator, getFirestore, type Firestore } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions, httpsCallable, type Functions } from "firebase/functions";
import { startFirebaseEmulators, type FirebaseEmulators } from "../../scripts/emulators/firebase";
import { startMediaStorage, type MediaStorage } from "./mediaStorage";
import type { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { paths } from "@wa-gateway/core";
import { adminDb, emulator, resetFirestore } from "./emulator";
import { afterAllSuites } from "./rootHooks";
import { eventually, keepLogs, startTestWorker } from "./worker";

/**
 * The Auth and Functions emulators (firebase-tools) over the harness's Firestore emulator,
 * and client apps that sign in and call the callables as a real app does.
 */
export interface CallableStack {
  emulators: FirebaseEmulators;
  /** The media bucket the functions sign URLs for (the Cloud Storage fake). */
  media: MediaStorage;
  /** A signed-in client (firebase JS SDK) for a new user; `admin` sets the custom claim first. */
  client(name: string, options?: { admin?: boolean }): Promise<Client>;
  stop(): Promise<void>;
}

export interface Client {
  uid: string;
  idToken: string;
  call<T>(functionName: string, data: unknown): Promise<T>;
  /** The app's own Firestore (client SDK, under the security rules), on the emulator. */
  firestore: Firestore;
  app: FirebaseApp;
  /** Its Functions instance, connected to the emulator. */
  functions: Functions;
}

let counter = 0;

/**
 * The Auth and Functions emulators with the default params, started once per test process and
 * shared by every suite that asks for them (a boot costs a functions build and ~15 s); suites
 * stay apart by their own users and an emptied Firestore. Stopped after all suites (rootHooks.ts).
 */
let shared: Promise<Booted> | undefined;

interface Booted {
  emulators: FirebaseEmulators;
  media: MediaStorage;
}

async function bootEmulators(env: Record<string, string>): Promise<Booted> {
  const { host, projectId } = emulator();
  execFileSync("npm", ["run", "build"], { cwd: join(__dirname, "..", "..", "functions"), stdio: "pipe" });
  const media = await startMediaStorage(projectId);
  const emulators = await startFirebaseEmulators({
    projectId,
    firestoreHost: host,
    env: { ...media.functionsEnv, ...env },
  });
  return {
    emulators: { ...emulators, stop: async () => (await emulators.stop(), await media.stop()) },
    media,
  };
}

function sharedEmulators(): Promise<Booted> {
  if (!shared) {
    const booting = (shared = bootEmulators({}));
    afterAllSuites(async () => (await booting).emulators.stop());
  }
  return shared;
}

export async function startCallableStack(env: Record<string, string> = {}): Promise<CallableStack> {
  const { host, projectId } = emulator();
  const own = Object.keys(env).length > 0;
  const { emulators, media } = await (own ? bootEmulators(env) : sharedEmulators());
  process.env.FIREBASE_AUTH_EMULATOR_HOST = emulators.authHost;
  const adminAuth = getAdminAuth(initializeAdminApp({ projectId }, `callable-stack-${++counter}`));
  const apps: FirebaseApp[] = [];
  const [authHostname, functionsPort] = [emulators.authHost, Number(emulators.functionsHost.split(":")[1])];

  return {
    emulators,
    media,
    async client(name, { admin = false } = {}) {
      const app = initializeApp({ projectId, apiKey: "demo-api-key" }, `${name}-${++counter}`);
      apps.push(app);
      const auth = getAuth(app);
      connectAuthEmulator(auth, `http://${authHostname}`, { disableWarnings: true });
      const email = `${name}-${counter}-${Date.now()}@example.test`;
      const cred = await createUserWithEmailAndPassword(auth, email, "password-123");
      if (admin) {
        await adminAuth.setCustomUserClaims(cred.user.uid, { admin: true });
        await signInWithEmailAndPassword(auth, email, "password-123");
      }
      const functions = getFunctions(app, "us-central1");
      connectFunctionsEmulator(functions, "127.0.0.1", functionsPort);
      const firestore = getFirestore(app);
      const [firestoreHost, firestorePort] = host.split(":");
      connectFirestoreEmulator(firestore, firestoreHost!, Number(firestorePort));
      return {
        uid: cred.user.uid,
        idToken: await auth.currentUser!.getIdToken(true),
        firestore,
        app,
        functions,
        async call<T>(functionName: string, data: unknown) {
          return (await httpsCallable(functions, functionName)(data)).data as T;
        },
      };
    },
    async stop() {
      await Promise.all(apps.map((app) => deleteApp(app)));
      if (own) await emulators.stop();
    },
  };
}

/**
 * For a suite: an empty database, the callable stack and one worker on `network` (null: Baileys,
 * with `env()`'s WA_WEBSOCKET_URL), started before its tests and stopped after them.
 */
export function callablesWithWorker(
  network: SimulatedWhatsApp | null,
  env: () => Record<string, string> = () => ({}),
): {
  stack: () => CallableStack;
  worker: () => Awaited<ReturnType<typeof startTestWorker>>;
} {
  let stack: CallableStack | undefined;
  let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
  before(async () => {
    await resetFirestore();
    stack = await startCallableStack();
    worker = await startTestWorker(network, { ...stack.media.workerEnv, ...env() });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && worker) keepLogs(this.currentTest.fullTitle(), [worker]);
  });
  after(async () => {
    await worker?.stop("test_done");
    await stack?.stop();
  });
  return { stack: () => stack!, worker: () => worker! };
}

/** The code of a call's FirebaseError (`functions/permission-denied`, ...), or "ok" if it succeeded. */
export async function firebaseErrorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FirebaseError, String(err));
    return err.code;
  }
  return "ok";
}

/**
 * What a client app does end to end: an admin adds an account for alice; once a worker has it
 * connected, alice sends an order notice through `whatsappProxySend` to +40712345678. Resolves
 * when the thread message is delivered, with the outbox entry.
 */
export async function addAccountAndShip(stack: CallableStack): Promise<FirebaseFirestore.DocumentData> {
  const admin = await stack.client("ops", { admin: true });
  const alice = await stack.client("alice");
  const { accountId } = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
    label: "Shop",
    memberUids: [alice.uid],
  });
  await eventually(
    "account connected",
    async () => {
      const { accounts } = await alice.call<{ accounts: { accountId: string; status: string }[] }>(
        "whatsappProxyGetAccounts",
        {},
      );
      return accounts.find((a) => a.accountId === accountId)?.status === "connected";
    },
    30_000,
  );
  const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySend", {
    threadId: "order-1042",
    accountId,
    toJid: "+40712345678",
    text: "Your order has shipped.",
    clientMessageId: "order-1042-shipped",
  });
  const message = adminDb().doc(paths.threadMessage("order-1042", requestId));
  await eventually("thread message delivered", async () => (await message.get()).get("status") === "delivered", 30_000);
  return (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
}
