import { once } from "node:events";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Writable } from "node:stream";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { handleSend } from "@wa-gateway/core/proxies";
import { accounts } from "@wa-gateway/data";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { seedAccount } from "../../test/support/fixtures";
import { FakeWhatsApp } from "../../test/support/fakeWhatsApp/edge";
import { parseWorkerConfig } from "../../worker/src/config";
import { createLogger } from "../../worker/src/logging/logger";
import { BaileysTransport } from "../../worker/src/transport/baileys/baileysTransport";
import type { AccountSocket, SessionChange, SessionStore } from "../../worker/src/transport/transport";
import { startWorker } from "../../worker/src/worker";
import { startFakePhone } from "../lib/fakePhone";
import { freePort, httpAnswers, waitUntil } from "../lib/ports";
import { spawnWorker } from "../lib/workerProcess";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MEMORY_PROBE = join(__dirname, "memoryProbe.ts");

const silent = () => createLogger({ level: "silent", workerId: "bench" }, new Writable({ write: (_c, _e, d) => d() }));
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

/** Heap and RSS after full collections (weak references and finalisers settle). */
async function settledMemory(): Promise<{ heap: number; rss: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

/** A session kept in memory, so the socket figures are the socket's own, not a Firestore client's. */
function memorySession(): SessionStore {
  let creds: Record<string, unknown> | undefined;
  const keys = new Map<string, unknown>();
  return {
    open: async () => "opened",
    readCreds: async () => creds,
    readKeys: async (type, ids) =>
      Object.fromEntries(ids.filter((id) => keys.has(`${type}/${id}`)).map((id) => [id, keys.get(`${type}/${id}`)])),
    commit: async (change: SessionChange) => {
      if (change.creds) creds = change.creds;
      for (const [type, byId] of Object.entries(change.keys ?? {}))
        for (const [id, value] of Object.entries(byId))
          if (value === null || value === undefined) keys.delete(`${type}/${id}`);
          else keys.set(`${type}/${id}`, value);
    },
    flushed: async () => undefined,
    clear: async () => "written",
  };
}

/** One account's socket on the transport, linked by QR on first use: resolves once open. */
function connectOnce(
  transport: BaileysTransport,
  edge: FakeWhatsApp,
  accountId: string,
  phone: string,
  session: SessionStore,
): Promise<AccountSocket> {
  return new Promise((resolve, reject) => {
    let socket: AccountSocket;
    const open = () => {
      socket = transport.connect(accountId, {
        phoneNumber: null,
        session,
        sent: { messageOf: async () => undefined, rememberMedia: async () => undefined },
        handlers: {
          connection: (u) => {
            if (u.state === "qr") edge.scanQr(u.qr, phone);
            if (u.state === "open") resolve(socket);
            if (u.state === "close") {
              if (u.code === 515) open();
              else reject(new Error(`socket closed with ${u.code}: ${u.reason}`));
            }
          },
          message: async () => "committed" as const,
          receipt: async () => "applied" as const,
        },
      });
    };
    open();
  });
}

/** Sends through the worker: callable → outbox → lease → one Baileys socket → fake edge → contact decrypts. */
async function sendsThroughOneSocket(db: Firestore, edge: FakeWhatsApp): Promise<string> {
  const contacts = await Promise.all(Array.from({ length: 10 }, (_, i) => edge.addContact(`4917000000${i}`)));
  const config = parseWorkerConfig({
    GCLOUD_PROJECT: process.env.GCLOUD_PROJECT,
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST,
    PORT: "0",
    WORKER_ID: "bench-baileys",
    WA_WEBSOCKET_URL: edge.url,
    SEND_PACING: "off",
    NEW_CONTACT_BUDGET: "off",
    HEARTBEATS: "off",
  });
  const worker = await startWorker(config, silent(), { firestore: db });
  await worker.accounts.listening();
  await seedAccount(db, "bench-acc", { status: "pending_qr", memberUids: ["bench"] });
  const deps = { store: firestoreSendStore(db), now: () => new Date(), rateLimit: { maxSends: 1e9, windowSec: 60 } };
  const TOTAL = 300;
  // A backlog over 10 threads (one per contact), queued while the account is still linking, so the
  // figure is the socket's pace, not the callables': the account sends one message at a time, in order.
  for (let i = 0; i < TOTAL; i++) {
    await handleSend(
      deps,
      { uid: "bench", admin: false },
      {
        threadId: `bench-t${i % 10}`,
        accountId: "bench-acc",
        toJid: contacts[i % 10]!.pnJid,
        text: `bench ${i}`,
        clientMessageId: `bench-${i}`,
      },
    );
  }
  // Each QR the account shows is scanned: the first is answered with companion_reg_refresh, the re-rendered one links.
  for (let scanned: string | undefined; ;) {
    const qr = (await accounts.doc(db, "bench-acc").get()).data()?.qr;
    if (qr && qr !== scanned && edge.scanQr((scanned = qr), "4915199999999") === "linked") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  while (worker.accounts.connectedCount() < 1) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  const received = () => contacts.reduce((n, c) => n + c.received.length, 0);
  while (received() < TOTAL) {
    if (Date.now() - started > 300_000) throw new Error("bench: the Baileys backlog was not delivered in 5 min");
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (Date.now() - started) / 1000;
  await worker.stop("bench");
  return `  a queued backlog through one Baileys socket (outbox → lease → socket → contact decrypts, from the socket's opening; ${TOTAL} over 10 threads, pacing off): ${(TOTAL / seconds).toFixed(1)} msg/s`;
}

/** Memory of a worker process after full collections, read through the memoryProbe preload. */
interface ProbedMemory {
  rss: number;
  /** The process's highest RSS so far (getrusage): for a worker that just restarted its sockets, that burst. */
  peakRss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** A Baileys worker process with the memory probe, its /metrics-json, and a way to read its memory after GC. */
function probedWorker(
  db: Firestore,
  edge: FakeWhatsApp,
  workerId: string,
  port: number,
  env: Record<string, string> = {},
) {
  const probeFile = join(tmpdir(), `${workerId}-${process.pid}.json`);
  const child = spawnWorker(
    { host: process.env.FIRESTORE_EMULATOR_HOST!, projectId: process.env.GCLOUD_PROJECT! },
    workerId,
    {
      WA_TRANSPORT: "baileys",
      WA_WEBSOCKET_URL: edge.url,
      PORT: String(port),
      HEARTBEATS: "off",
      LOG_LEVEL: "error",
      MEMORY_PROBE_FILE: probeFile,
      ...env,
    },
    [MEMORY_PROBE],
  );
  const active = async () =>
    ((await (await fetch(`http://127.0.0.1:${port}/metrics-json`)).json()) as { activeAccounts: number })
      .activeAccounts;
  return {
    async holding(sockets: number, what: string) {
      await waitUntil(`worker /healthz`, () => httpAnswers(`http://127.0.0.1:${port}/healthz`), { timeoutMs: 30_000 });
      await waitUntil(what, async () => (await active()) === sockets, { timeoutMs: 180_000 });
    },
    async memory(): Promise<ProbedMemory> {
      rmSync(probeFile, { force: true });
      child.kill("SIGUSR2");
      await waitUntil("memory probe", async () => existsSync(probeFile), { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 100));
      return JSON.parse(readFileSync(probeFile, "utf8")) as ProbedMemory;
    },
    /** A graceful stop: sessions flushed, leases released. */
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
      rmSync(probeFile, { force: true });
    },
  };
}

/**
 * RSS and heap of a real worker process per idle linked socket, the figure MAX_ACCOUNTS_PER_WORKER's
 * default is set from. The accounts are linked by QR in one process (first login: pre-key uploads)
 * and measured in the next, which restarts them from their Firestore sessions, as every worker but
 * the first ever does. Per socket is the marginal cost: (worker holding all - worker holding one) /
 * (all - 1), both after full collections; the edge runs here, not in the worker.
 */
export async function idleSocketMemory(db: Firestore, edge: FakeWhatsApp): Promise<string[]> {
  const SOCKETS = 40;
  const stopPhone = startFakePhone(db, edge, 0, () => undefined);
  const mib = (bytes: number) => bytes / 2 ** 20;
  try {
    const linking = probedWorker(db, edge, "bench-idle-link", await freePort());
    for (let i = 0; i < SOCKETS; i++) await seedAccount(db, `idle-${i}`, { status: "pending_qr" });
    await linking.holding(SOCKETS, "all sockets linked");
    await new Promise((r) => setTimeout(r, 5000)); // the logins' pre-key uploads settle
    const firstLogin = await linking.memory();
    await linking.stop();

    const one = probedWorker(db, edge, "bench-idle-one", await freePort(), { MAX_ACCOUNTS_PER_WORKER: "1" });
    await one.holding(1, "one socket restarted");
    await new Promise((r) => setTimeout(r, 5000));
    const base = await one.memory();
    await one.stop();

    const all = probedWorker(db, edge, "bench-idle-all", await freePort(), {
      MAX_ACCOUNTS_PER_WORKER: String(SOCKETS),
    });
    await all.holding(SOCKETS, "all sockets restarted");
    await new Promise((r) => setTimeout(r, 5000));
    const idle = await all.memory();
    await all.stop();

    const per = (pick: (m: ProbedMemory) => number) => mib(pick(idle) - pick(base)) / (SOCKETS - 1);
    const perGiB = (perSocket: number, baseMib: number) => Math.floor((1024 - baseMib) / perSocket);
    const idleRss = per((m) => m.rss);
    const peakRss = per((m) => m.peakRss);
    return [
      `  worker process per idle linked socket, restarted from Firestore sessions, after GC (${SOCKETS} sockets): ` +
        `${idleRss.toFixed(2)} MiB RSS, ${per((m) => m.heapUsed).toFixed(2)} MiB heap used, ${per((m) => m.heapTotal).toFixed(2)} MiB heap committed, ` +
        `${per((m) => m.external).toFixed(2)} MiB external (worker holding one: ${mib(base.rss).toFixed(0)} MiB RSS, ${mib(base.heapUsed).toFixed(0)} MiB heap) ` +
        `=> ${perGiB(idleRss, mib(base.rss))} idle sockets per GiB`,
      `  peak RSS while restarting them all at once: ${mib(idle.peakRss).toFixed(0)} MiB, ${peakRss.toFixed(2)} MiB per socket ` +
        `=> ${perGiB(peakRss, mib(base.peakRss))} sockets per GiB through a restart`,
      `  the linking worker right after ${SOCKETS} first logins (pre-key uploads), after GC: ${mib(firstLogin.rss).toFixed(0)} MiB RSS, ` +
        `${mib(firstLogin.heapUsed).toFixed(0)} MiB heap; peak ${mib(firstLogin.peakRss).toFixed(0)} MiB`,
    ];
  } finally {
    stopPhone();
  }
}

/**
 * What 100 connect/close cycles of one socket leave behind, in this process (in-memory session).
 * A closed socket's pending queries keep their 60 s timeouts (Baileys' defaultQueryTimeoutMs), so
 * memory is read right after the cycles and again once those have run out.
 */
async function cycleMemory(edge: FakeWhatsApp): Promise<string> {
  const transport = new BaileysTransport({
    websocketUrl: edge.url,
    version: [2, 3000, 1043857760],
    browserName: "bench",
    qrRefreshes: 5,
    logger: silent(),
  });
  const session = memorySession();
  await (await connectOnce(transport, edge, "cycles", "4915300000000", session)).close();
  const before = await settledMemory();
  const CYCLES = 100;
  for (let i = 0; i < CYCLES; i++)
    await (await connectOnce(transport, edge, "cycles", "4915300000000", session)).close();
  const right = await settledMemory();
  await new Promise((r) => setTimeout(r, 62_000));
  const later = await settledMemory();
  return (
    `  ${CYCLES} connect/close cycles of one socket (after GC): heap +${mb(right.heap - before.heap)} MiB right after, ` +
    `${later.heap >= before.heap ? "+" : ""}${mb(later.heap - before.heap)} MiB once its 60 s query timeouts ran out`
  );
}

/**
 * The inbound loss window: time from the delivery receipt reaching the edge (WhatsApp stops
 * holding the message) to the Firestore commit of the thread message (its update time), per
 * message, over a burst of 200 messages from 10 contacts into one worker. With the receipt sent
 * after the commit (our Baileys patch) it is negative for every message: there is no window; how
 * far below zero is how long the receipt waits for the commit (WhatsApp keeps holding meanwhile).
 */
async function inboundLossWindow(db: Firestore, edge: FakeWhatsApp): Promise<string> {
  const contacts = await Promise.all(Array.from({ length: 10 }, (_, i) => edge.addContact(`4918000000${i}`)));
  const config = parseWorkerConfig({
    GCLOUD_PROJECT: process.env.GCLOUD_PROJECT,
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST,
    PORT: "0",
    WORKER_ID: "bench-inbound",
    WA_WEBSOCKET_URL: edge.url,
    HEARTBEATS: "off",
  });
  const worker = await startWorker(config, silent(), { firestore: db });
  await worker.accounts.listening();
  await seedAccount(db, "bench-in", { status: "pending_qr", memberUids: ["bench"] });
  for (;;) {
    const qr = (await accounts.doc(db, "bench-in").get()).data()?.qr;
    if (qr) {
      edge.scanQr(qr, "4915188888888");
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  while (worker.accounts.connectedCount() < 1) await new Promise((r) => setTimeout(r, 50));
  const TOTAL = 200;
  const ids: string[] = [];
  for (let i = 0; i < TOTAL; i++)
    ids.push(await edge.sendFromContact(contacts[i % 10]!, "4915188888888", `burst ${i}`, { addressing: "pn" }));
  const started = Date.now();
  let docs: FirebaseFirestore.QueryDocumentSnapshot[] = [];
  while (docs.length < TOTAL) {
    if (Date.now() - started > 120_000) throw new Error("bench: the inbound burst was not stored in 2 min");
    await new Promise((r) => setTimeout(r, 200));
    docs = (await db.collectionGroup("messages").where("direction", "==", "in").get()).docs;
  }
  await worker.stop("bench");
  const windows = docs
    .map((d) => d.updateTime.toMillis() - edge.receiptedAt.get(d.get("providerMessageId") as string)!)
    .sort((a, b) => a - b);
  const at = (q: number) => windows[Math.min(windows.length - 1, Math.floor(q * windows.length))]!;
  return (
    `  inbound loss window (receipt to our Firestore commit, negative: the receipt came after it; a burst of ${TOTAL} from 10 contacts): ` +
    `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${windows.at(-1)} ms (${windows.filter((w) => w > 0).length} receipted before their commit)`
  );
}

/** Only the inbound loss window (`npm run bench -- inbound`). */
export async function benchInbound(): Promise<void> {
  const db = getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }, "bench-inbound"));
  await fetch(
    `http://${process.env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${process.env.GCLOUD_PROJECT}/databases/(default)/documents`,
    { method: "DELETE" },
  );
  const edge = await FakeWhatsApp.start();
  try {
    console.log(
      `\ninbound: Baileys against the fake WhatsApp edge, local Firestore emulator\n${await inboundLossWindow(db, edge)}`,
    );
  } finally {
    await edge.close();
  }
}

/** The real Baileys socket against the fake WhatsApp edge on 127.0.0.1. */
export async function benchBaileys(): Promise<void> {
  const db = getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }, "bench-baileys"));
  await fetch(
    `http://${process.env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${process.env.GCLOUD_PROJECT}/databases/(default)/documents`,
    { method: "DELETE" },
  );
  const edge = await FakeWhatsApp.start();
  try {
    const lines = [
      ...(await idleSocketMemory(db, edge)),
      await cycleMemory(edge),
      await sendsThroughOneSocket(db, edge),
    ];
    console.log(
      `\nbaileys: @whiskeysockets/baileys against the fake WhatsApp edge, local Firestore emulator\n${lines.join("\n")}`,
    );
  } finally {
    await edge.close();
  }
}
