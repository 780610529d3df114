import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startFirebaseEmulators } from "./emulators/firebase";
import { EmulatorNotFoundError, startFirestoreEmulator } from "./emulators/firestore";
import { startChild, stopAllChildren } from "./lib/children";
import { startFakePhone } from "./lib/fakePhone";
import { startFakeTelegram } from "./lib/fakeTelegram";
import { startLocalCloudApi } from "./lib/localCloudApi";
import { startMediaStorage } from "../test/support/mediaStorage";
import { EDGE_CA_FILE } from "../test/support/fakeWhatsApp/mediaHost";
import { FakeWhatsApp } from "../test/support/fakeWhatsApp/edge";
import { freePort, httpAnswers, waitUntil } from "./lib/ports";
import { WORKER_NODE_FLAGS } from "./lib/workerProcess";
import { localEnv, localProjectId, localStackPorts, REPO_ROOT } from "./lib/project";
import { findScheduledFunctions, startScheduler } from "./lib/scheduler";
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import { heartbeatState, incidents as incidentDocs } from "@wa-gateway/data";

const adminFirestore = () => getFirestore(getApps()[0] ?? initializeApp({ projectId: process.env.GCLOUD_PROJECT }));

/**
 * `npm start`: the whole system on this machine. Firestore emulator, Auth and Functions
 * emulators, the worker with the simulated WhatsApp transport, and the scheduled functions
 * run on their schedules. Ctrl-C stops all of it. `npm start -- --baileys`: the worker runs the
 * real Baileys socket instead, against the fake WhatsApp edge on 127.0.0.1 (a fake phone links).
 */
const USAGE = `usage: npm start [-- --baileys]
  (no option)  the worker runs the simulated WhatsApp transport
  --baileys    the worker runs the real Baileys socket against a fake WhatsApp edge on 127.0.0.1
  --help       this text`;

/** The options, or exit 64 with the usage: a typo (`--bailey`) must not quietly run the simulator. */
function parseOptions(): { baileys: boolean } {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { baileys: { type: "boolean" }, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    return { baileys: values.baileys === true };
  } catch (err) {
    console.error(`npm start: ${(err as Error).message}\n${USAGE}`);
    process.exit(64);
  }
}
const ON_BAILEYS = parseOptions().baileys;
/** The demo's recipient: a contact on the fake edge. */
const DEMO_CONTACT = "40712345678";

const STATUS_EVERY_MS = 15_000;
const log = (part: string, line: string) => console.log(`${new Date().toISOString().slice(11, 19)} [${part}] ${line}`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function requirePort(port: number, what: string): Promise<number> {
  if (await portIsFree(port)) return port;
  throw new Error(
    `port ${port} (${what}) is in use: stop what holds it, or choose another with FIRESTORE_PORT, AUTH_PORT, FUNCTIONS_PORT or WORKER_PORT`,
  );
}

/** A worker log line (JSON) as one short readable line. */
function workerLine(raw: string): string {
  try {
    const { severity, message, time: _t, workerId: _w, ...fields } = JSON.parse(raw) as Record<string, unknown>;
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(" ");
    return `${String(severity).padEnd(7)} ${String(message)} ${rest}`;
  } catch {
    return raw;
  }
}

/** One line on the long-run monitoring: last heartbeat, open incidents. */
async function monitoringStatus(): Promise<string> {
  const db = adminFirestore();
  const [state, open] = await Promise.all([
    heartbeatState.doc(db).get(),
    incidentDocs.all(db).where("status", "==", "open").get(),
  ]);
  const last = state.data()?.lastHeartbeatAt;
  const beat = last ? `last heartbeat ${Math.round((Date.now() - last.toMillis()) / 1000)} s ago` : "no heartbeat yet";
  const incidents = open.docs.map((d) => d.data()).map((i) => `${i.type}/${i.key} (${i.severity})`);
  return `monitoring: ${beat}; open incidents: ${incidents.length ? incidents.join(", ") : "none"}`;
}

/**
 * How the stack stops: on Ctrl-C, SIGTERM (timeout, systemd, CI runners) and SIGHUP (a closed
 * terminal), from the first line on, and when the parent goes away: npm forwards SIGINT and
 * SIGTERM but not SIGHUP, so a hung-up `npm start` leaves this process behind without a parent
 * (package.json's start script execs node: under a plain `sh -c` the parent would be a live shell).
 * Until the stack is up, stopping means stopping every child started so far.
 */
let stopStack: ((reason: string) => Promise<void>) | undefined;
let stoppingEarly = false;
function shutdown(reason: string): void {
  if (stopStack) return void stopStack(reason);
  if (stoppingEarly) return;
  stoppingEarly = true;
  log("stack", `${reason}: stopping what has started`);
  void stopAllChildren().finally(() => process.exit(0));
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(signal));
const PARENT_PID = process.ppid;
const PARENT_CHECK_MS = 1000;
setInterval(() => {
  if (process.ppid !== PARENT_PID) shutdown(`parent process ${PARENT_PID} exited`);
}, PARENT_CHECK_MS).unref();

async function main(): Promise<void> {
  const projectId = localProjectId();
  const wanted = localStackPorts();
  const ports = {
    firestore: process.env.FIRESTORE_EMULATOR_HOST
      ? undefined
      : await requirePort(wanted.firestore, "Firestore emulator"),
    auth: await requirePort(wanted.auth, "Auth emulator"),
    functions: await requirePort(wanted.functions, "Functions emulator"),
    worker: await requirePort(wanted.worker, "worker"),
  };

  log("stack", "building functions (bundling core in)");
  execFileSync("npm", ["run", "build", "--silent"], { cwd: join(REPO_ROOT, "functions"), stdio: "inherit" });

  // A preset FIRESTORE_EMULATOR_HOST is used as it is; otherwise the emulator starts on its port (above).
  const firestore = await startFirestoreEmulator({
    projectId,
    rulesPath: join(REPO_ROOT, "firestore.rules"),
    port: ports.firestore,
  });
  log("firestore", `emulator on ${firestore.host} (${firestore.source})`);

  // Alerts go to a fake Telegram Bot API on 127.0.0.1 and are printed here.
  const telegramToken = "100000001:LOCAL-fake-token-for-the-local-stack-only";
  const telegram = await startFakeTelegram({
    token: telegramToken,
    onMessage: (m) => {
      const text = m.text
        .replace(/<[^>]+>/g, "")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&");
      for (const line of text.split("\n").filter(Boolean)) log("telegram", line);
    },
  });
  log("telegram", `fake Bot API on ${telegram.apiRoot}: alerts appear here`);
  const env = {
    ...localEnv(projectId, firestore.host),
    TELEGRAM_BOT_TOKEN: telegramToken,
    TELEGRAM_CHAT_ID: "-100000000001",
    TELEGRAM_API_ROOT: telegram.apiRoot,
  };
  Object.assign(process.env, env);
  // Cloud Storage for media: the fake on 127.0.0.1 (no Storage emulator runs here), the functions
  // signing its URLs with a local key, the worker storing and reading files in it.
  const media = await startMediaStorage(projectId);
  log("storage", `Cloud Storage fake on ${media.storage.url}, bucket ${media.bucket}: media bytes live here`);
  const emulators = await startFirebaseEmulators({
    projectId,
    firestoreHost: firestore.host,
    env: media.functionsEnv,
    ports: { auth: ports.auth, functions: ports.functions, hub: await freePort(), logging: await freePort() },
    onOutput: (line) => {
      if (/[│┌└├─]/.test(line) || !line.trim()) return;
      log("functions", line.trim());
    },
  });

  // Meta's Cloud API, for the demo's Cloud API account beside the linked one.
  const cloudApi = await startLocalCloudApi({
    webhookUrl: `${emulators.functionsUrl}/whatsappCloudWebhook`,
    log: (line) => log("meta", line),
  });

  let edge: FakeWhatsApp | undefined;
  let stopPhone = () => {};
  if (ON_BAILEYS) {
    edge = await FakeWhatsApp.start({ deliveredAfterMs: 1000 });
    await edge.addContact(DEMO_CONTACT, "Demo contact");
    stopPhone = startFakePhone(adminFirestore(), edge, 3000, (line) => log("phone", line));
    log("whatsapp", `fake WhatsApp edge on ${edge.url} (contact +${DEMO_CONTACT}); the fake phone links each account`);
  }
  const transportEnv = edge
    ? // The edge's media host speaks HTTPS with a test certificate, which the worker trusts.
      { WA_TRANSPORT: "baileys", WA_WEBSOCKET_URL: edge.url, NODE_EXTRA_CA_CERTS: EDGE_CA_FILE }
    : {
        WA_TRANSPORT: "simulated",
        // The simulated phone "scans" each QR after 3 s, so accounts link without a phone.
        WA_SIM_AUTO_LINK_MS: process.env.WA_SIM_AUTO_LINK_MS ?? "3000",
      };
  const worker = startChild(
    "worker",
    process.execPath,
    [...WORKER_NODE_FLAGS, "--import", "tsx", join(REPO_ROOT, "worker", "src", "main.ts")],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...env,
        PORT: String(ports.worker),
        WORKER_ID: process.env.WORKER_ID ?? "local-worker-1",
        ...transportEnv,
        ...cloudApi.env,
        ...media.workerEnv,
        // Pacing on, as in production, but brisk enough to watch.
        SEND_PACING_PER_MIN: process.env.SEND_PACING_PER_MIN ?? "60",
        // The new-contact budget too, roomy enough for the demo's new threads (production: 8 a day at first).
        NEW_CONTACT_BUDGET: process.env.NEW_CONTACT_BUDGET ?? "0:30/200",
        LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      },
      onOutput: (line) => log("worker", workerLine(line)),
    },
  );
  await waitUntil("worker /healthz", () => httpAnswers(`http://127.0.0.1:${ports.worker}/healthz`), {
    timeoutMs: 30_000,
    abort: () => (worker.exited() ? `worker exited:\n${worker.tail()}` : undefined),
  });

  // The scheduled functions log JSON to stdout (as in Cloud Logging); show those lines like the worker's.
  const rawWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = String(chunk);
    if (!text.startsWith("{") || !text.includes('"severity"')) return rawWrite(chunk, ...rest);
    for (const line of text.split("\n").filter(Boolean)) log("jobs", workerLine(line));
    return true;
  }) as typeof process.stdout.write;

  // Scheduled functions run in this process, against the same emulators, on their cron schedules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const functionsModule = require(join(REPO_ROOT, "functions", "lib", "index.js")) as Record<string, unknown>;
  const scheduled = findScheduledFunctions(functionsModule);
  // The watchdog also runs once now, so a fresh stack shows its verdict (and the first alert) at once.
  const scheduler = startScheduler(
    scheduled,
    (o) => log("scheduler", `${o.name} @ ${o.scheduleTime} ${o.ok ? "ok" : `FAILED: ${o.error}`} (${o.ms} ms)`),
    () => new Date(),
    ["longrunWatchdog"],
  );

  console.log(`
  WhatsApp Firebase Gateway: local stack (project ${projectId})
    Firestore emulator  ${firestore.host}
    Auth emulator       ${emulators.authHost}
    Functions emulator  ${emulators.functionsUrl}/<name>
    Worker              http://127.0.0.1:${ports.worker}  (/healthz /readyz /metrics /metrics-json, WA_TRANSPORT=${transportEnv.WA_TRANSPORT})
    Telegram (fake)     ${telegram.apiRoot}  (alerts are printed as [telegram] lines)
    Meta (fake)         ${cloudApi.url}  (Graph API and Secret Manager for one Cloud API number; [meta] lines)${edge ? `\n    WhatsApp (fake)     ${edge.url}  (Baileys connects here; [phone] lines show the links)` : ""}
    Scheduled functions ${scheduled.length ? scheduled.map((s) => `${s.name} "${s.schedule}"`).join(", ") : "none exported"}
  Try it: \`npm run demo\` in another terminal (adds a linked account and a Cloud API one, sends through both).
  Ctrl-C stops everything.
`);

  const status = setInterval(async () => {
    try {
      const ready = await fetch(`http://127.0.0.1:${ports.worker}/readyz`).then((r) => r.status === 200);
      const metrics = (await fetch(`http://127.0.0.1:${ports.worker}/metrics-json`).then((r) => r.json())) as Record<
        string,
        unknown
      >;
      const shown = Object.entries(metrics)
        .filter(([, v]) => typeof v !== "object")
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ");
      log("status", `worker ${ready ? "ready" : "NOT READY"} ${shown}`);
      log("status", await monitoringStatus());
    } catch (err) {
      log("status", `worker unreachable: ${(err as Error).message}`);
    }
  }, STATUS_EVERY_MS);

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log("stack", `${reason}: stopping`);
    clearInterval(status);
    await scheduler.stop();
    await telegram.stop();
    await worker.stop(15_000);
    await cloudApi.stop();
    stopPhone();
    await edge?.close();
    await emulators.stop();
    await media.stop();
    await firestore.stop();
    await stopAllChildren();
    log("stack", "stopped; nothing left running");
    process.exit(0);
  };
  stopStack = stop;
  if (stoppingEarly) return void stop("signal during start-up");
  worker.process.on("exit", (code) => {
    if (!stopping) {
      log("stack", `worker exited unexpectedly (${code}); stopping the stack`);
      void stop("worker-exit");
    }
  });
}

main().catch(async (err: Error) => {
  console.error(err instanceof EmulatorNotFoundError ? err.message : `npm start failed: ${err.message}`);
  await stopAllChildren();
  process.exit(1);
});
