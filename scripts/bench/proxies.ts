import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import { handleSend, newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts } from "@wa-gateway/data";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { startFirebaseEmulators } from "../emulators/firebase";
import { REPO_ROOT } from "../lib/project";
import { countingFirestore, percentile } from "./countingFirestore";

const USERS = 10;
const SENDS_PER_USER = 20; // under the default 30-per-minute per-user limit

async function seedAccount(projectId: string, memberUids: string[]) {
  const db = getFirestore(initializeAdminApp({ projectId }, "bench-seed"));
  await accounts
    .write(db, "bench-acc")
    .set(newAccountDocument({ createdBy: "bench", now: new Date(), status: "connected", memberUids }));
  return db;
}

/** Send latency through the Functions emulator, and document operations per send, counted. */
export async function benchProxies(): Promise<void> {
  const projectId = process.env.GCLOUD_PROJECT!;
  const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST!;
  execFileSync("npm", ["run", "build", "--silent"], { cwd: join(REPO_ROOT, "functions"), stdio: "inherit" });
  const emulators = await startFirebaseEmulators({ projectId, firestoreHost });
  try {
    // Users sign up over the Auth emulator's REST API, as a client SDK does.
    const users: { uid: string; idToken: string }[] = [];
    for (let i = 0; i < USERS; i++) {
      const res = await fetch(
        `http://${emulators.authHost}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            email: `bench-${i}-${Date.now()}@example.test`,
            password: "password-123",
            returnSecureToken: true,
          }),
        },
      );
      const body = (await res.json()) as { localId: string; idToken: string };
      users.push({ uid: body.localId, idToken: body.idToken });
    }
    const db = await seedAccount(
      projectId,
      users.map((u) => u.uid),
    );

    const call = async (user: { idToken: string }, data: unknown) => {
      const t0 = performance.now();
      const res = await fetch(`${emulators.functionsUrl}/whatsappProxySend`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${user.idToken}` },
        body: JSON.stringify({ data }),
      });
      const body = (await res.json()) as { result?: { duplicate: boolean } };
      if (!body.result) throw new Error(`send failed: ${JSON.stringify(body)}`);
      return performance.now() - t0;
    };
    const payload = (u: number, i: number) => ({
      threadId: `bench-${u}`,
      accountId: "bench-acc",
      toJid: `4070000${String(u).padStart(4, "0")}`,
      text: `bench message ${i}`,
      clientMessageId: `bench-${u}-${i}`,
    });

    await call(users[0]!, payload(0, -1)); // cold start of the function worker, not measured
    const accepted: number[] = [];
    const duplicates: number[] = [];
    for (let i = 0; i < SENDS_PER_USER; i++) {
      for (let u = 0; u < USERS; u++) accepted.push(await call(users[u]!, payload(u, i)));
    }
    for (let u = 0; u < USERS; u++) duplicates.push(await call(users[u]!, payload(u, 0)));
    accepted.sort((a, b) => a - b);
    duplicates.sort((a, b) => a - b);

    // The same store the function uses, in process, through a counting client.
    const counting = countingFirestore(db);
    const deps = {
      store: firestoreSendStore(counting.db),
      now: () => new Date(),
      rateLimit: { maxSends: 1000, windowSec: 60 },
    };
    const caller = { uid: users[0]!.uid, admin: false };
    const n = 20;
    counting.reset();
    for (let i = 0; i < n; i++) await handleSend(deps, caller, payload(0, 1000 + i));
    const perAccepted = { reads: counting.counts.reads / n, writes: counting.counts.writes / n };
    counting.reset();
    for (let i = 0; i < n; i++) await handleSend(deps, caller, payload(0, 1000 + i));
    const perDuplicate = { reads: counting.counts.reads / n, writes: counting.counts.writes / n };

    const ms = (v: number) => `${v.toFixed(1)} ms`;
    console.log(`
proxies: whatsappProxySend through the Functions emulator (${accepted.length} accepted, ${duplicates.length} duplicate sends, sequential)
  accepted send latency   p50 ${ms(percentile(accepted, 50))}   p99 ${ms(percentile(accepted, 99))}   max ${ms(accepted.at(-1)!)}
  duplicate send latency  p50 ${ms(percentile(duplicates, 50))}   p99 ${ms(percentile(duplicates, 99))}
  document operations per accepted send   ${perAccepted.reads} reads + ${perAccepted.writes} writes = ${perAccepted.reads + perAccepted.writes} (an owned thread: reads the repeat check, account + thread, outbox entry + opt-out record and the summary, counts the slots by aggregation; writes slot, outbox entry, message and summary)
  document operations per duplicate send  ${perDuplicate.reads} reads + ${perDuplicate.writes} writes = ${perDuplicate.reads + perDuplicate.writes}`);
  } finally {
    await emulators.stop();
  }
}
