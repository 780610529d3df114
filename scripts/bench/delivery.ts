import { Writable } from "node:stream";
import { seedLinkedSession } from "../../test/support/fixtures";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { handleSend, newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts, outbox } from "@wa-gateway/data";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { parseWorkerConfig } from "../../worker/src/config";
import { createLogger } from "../../worker/src/logging/logger";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { startWorker } from "../../worker/src/worker";
import { countingFirestore, percentile } from "./countingFirestore";

const ACCOUNTS = 10;
let appCounter = 0;

const silentLogger = (workerId: string) =>
  createLogger({ level: "warn", workerId }, new Writable({ write: (_c, _e, done) => done() }));

async function reset(db: Firestore): Promise<void> {
  const host = process.env.FIRESTORE_EMULATOR_HOST!;
  await fetch(`http://${host}/emulator/v1/projects/${process.env.GCLOUD_PROJECT}/databases/(default)/documents`, {
    method: "DELETE",
  });
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = `bench-${i}`;
    await accounts.write(db, id).set(
      newAccountDocument({
        createdBy: "bench",
        now: new Date(),
        status: "disconnected",
        memberUids: [0, 1, 2].map((t) => `user-${id}-t${t}`),
      }),
    );
    await seedLinkedSession(db, id, `40700000${i}00@s.whatsapp.net`);
  }
}

function enqueuer(db: Firestore) {
  const deps = { store: firestoreSendStore(db), now: () => new Date(), rateLimit: { maxSends: 1e9, windowSec: 60 } };
  let n = 0;
  return async () => {
    const i = n++;
    const account = `bench-${i % ACCOUNTS}`;
    const thread = `${account}-t${i % 3}`;
    return (
      await handleSend(
        deps,
        { uid: `user-${thread}`, admin: false },
        {
          threadId: thread,
          accountId: account,
          toJid: `4071${String(i % ACCOUNTS).padStart(2, "0")}${i % 3}00000`,
          text: `bench ${i}`,
          clientMessageId: `bench-${i}`,
        },
      )
    ).requestId;
  };
}

async function workers(count: number, listener: boolean, firestore?: Firestore) {
  const network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  const running = [];
  for (let i = 0; i < count; i++) {
    const workerId = `bench-worker-${i}-${++appCounter}`;
    const config = parseWorkerConfig({
      GCLOUD_PROJECT: process.env.GCLOUD_PROJECT,
      FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST,
      PORT: "0",
      WORKER_ID: workerId,
      WA_TRANSPORT: "simulated",
      SEND_PACING: "off",
      NEW_CONTACT_BUDGET: "off",
      OUTBOX_LISTENER: listener ? "on" : "off",
      OUTBOX_SWEEP_SEC: listener ? "15" : "1",
    });
    running.push(await startWorker(config, silentLogger(workerId), { transport: network, firestore }));
  }
  return { network, running };
}

async function waitAllSent(db: Firestore, total: number, boundMs = 600_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while ((await db.collection("outbox").where("status", "==", "sent").count().get()).data().count < total) {
    if (Date.now() > deadline) throw new Error("bench: not all messages were sent in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitConnected(ws: { accounts: { connectedCount(): number } }[]): Promise<void> {
  while (ws.reduce((n, w) => n + w.accounts.connectedCount(), 0) < ACCOUNTS)
    await new Promise((r) => setTimeout(r, 50));
}

/** Enqueue-to-sent latency at a steady rate, throughput with 1 and 3 workers, and document operations per message. */
export async function benchDelivery(): Promise<void> {
  const db = getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }, "bench-delivery"));
  const lines: string[] = [];

  // 1. Latency at a steady 10 msg/s, listener-driven.
  await reset(db);
  {
    const { running } = await workers(1, true);
    await waitConnected(running);
    const enqueue = enqueuer(db);
    const ids: string[] = [];
    const RATE = 10;
    const SECONDS = 20;
    const started = Date.now();
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = started + (i * 1000) / RATE;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      ids.push(await enqueue());
    }
    await waitAllSent(db, ids.length);
    const latencies = (await Promise.all(ids.map(async (id) => (await outbox.doc(db, id).get()).data()!)))
      .map((entry) => entry.sentAt!.toMillis() - entry.createdAt.toMillis())
      .sort((a, b) => a - b);
    lines.push(
      `  enqueue-to-sent at a steady ${RATE} msg/s (${ids.length} messages, 1 worker, listener on): ` +
        `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (goal p99 < 1000 ms)`,
    );
    await Promise.all(running.map((w) => w.stop("bench")));
  }

  // 2. Sustained throughput from a backlog, 1 and 3 workers.
  for (const [count, listener] of [
    [1, true],
    [1, false],
    [3, false],
  ] as const) {
    await reset(db);
    const enqueue = enqueuer(db);
    const TOTAL = 600;
    for (let i = 0; i < TOTAL; i += ACCOUNTS) await Promise.all(Array.from({ length: ACCOUNTS }, () => enqueue()));
    const started = Date.now();
    const { running } = await workers(count, listener);
    await waitAllSent(db, TOTAL);
    const seconds = (Date.now() - started) / 1000;
    lines.push(
      `  throughput, ${TOTAL}-message backlog over ${ACCOUNTS} accounts, ${count} worker(s), listener ${listener ? "on" : "off"}: ` +
        `${(TOTAL / seconds).toFixed(1)} msg/s in total, ${(TOTAL / seconds / count).toFixed(1)} per worker (goal >= 30 per worker)`,
    );
    await Promise.all(running.map((w) => w.stop("bench")));
  }

  // 3. Document operations per delivered message, counted on the worker's own client.
  await reset(db);
  {
    const counting = countingFirestore(
      getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }, "bench-count")),
    );
    const { running } = await workers(1, true, counting.db);
    await waitConnected(running);
    await new Promise((r) => setTimeout(r, 500));
    counting.reset();
    const enqueue = enqueuer(db);
    const N = 100;
    for (let i = 0; i < N; i++) await enqueue();
    await waitAllSent(db, N);
    await new Promise((r) => setTimeout(r, 300));
    const { reads, writes } = counting.counts;
    lines.push(
      `  document operations per delivered message (worker side, 1 worker, listener on, ${N} messages): ` +
        `${(reads / N).toFixed(2)} reads + ${(writes / N).toFixed(2)} writes`,
    );
    await Promise.all(running.map((w) => w.stop("bench")));
  }

  console.log(`\ndelivery: simulated WhatsApp, pacing off, local Firestore emulator\n${lines.join("\n")}`);
}
