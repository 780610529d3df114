import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { parseWorkerConfig } from "../../worker/src/config";
import { createLogger } from "../../worker/src/logging/logger";
import { SimulatedWhatsApp, type SimulatedOptions } from "../../worker/src/transport/simulated";
import type { Transport } from "../../worker/src/transport/transport";
import { startWorker, type RunningWorker } from "../../worker/src/worker";
import { adminDb, emulator, resetFirestore } from "./emulator";
import { seedAccount } from "./fixtures";
import { jsonLineSink } from "./logSink";

let counter = 0;

/**
 * A worker in this process, on the emulator, over the given transport (a simulated network), or
 * over the one its config builds when `network` is null (Baileys, with WA_WEBSOCKET_URL in `env`);
 * logs kept in memory.
 */
export async function startTestWorker(
  network: Transport | null,
  env: Record<string, string> = {},
  firestore?: Firestore,
): Promise<RunningWorker & { workerId: string; logs: Record<string, unknown>[] }> {
  const { host, projectId } = emulator();
  const workerId = env.WORKER_ID ?? `test-worker-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
  const config = parseWorkerConfig({
    GCLOUD_PROJECT: projectId,
    FIRESTORE_EMULATOR_HOST: host,
    PORT: "0",
    WA_TRANSPORT: network ? "simulated" : "baileys",
    SEND_PACING: "off",
    NEW_CONTACT_BUDGET: "off",
    ACCOUNT_LEASE_SEC: "6",
    OUTBOX_SWEEP_SEC: "1",
    SEND_RETRY_BASE_MS: "50",
    ...env,
    WORKER_ID: workerId,
  });
  const { sink, lines: logs } = jsonLineSink();
  const worker = await startWorker(config, createLogger({ level: "debug", workerId }, sink), {
    ...(network ? { transport: network } : {}),
    firestore,
  });
  await worker.accounts.listening();
  return Object.assign(worker, { workerId, logs });
}

/** Events printed with a failed test: enough to see what the worker did last (CI keeps only the output). */
const PRINTED_EVENTS = 30;

/**
 * A failed test's worker logs: all of them in a file named in the output, the last events printed
 * as well (event, account, code): what the worker did is the first question.
 */
export function keepLogs(title: string, workers: { logs?: Record<string, unknown>[] }[]): void {
  const dir = join(tmpdir(), "wa-gateway-test-logs");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${title.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 120)}.jsonl`);
  const lines = workers.flatMap((w) => w.logs ?? []).sort((a, b) => String(a.time).localeCompare(String(b.time)));
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n"));
  console.log(`      worker logs of the failed test: ${file}; the last events above debug:`);
  const notable = lines.filter((l) => l.severity !== "DEBUG").slice(-PRINTED_EVENTS);
  for (const { time, severity, message, accountId, code, reason, err } of notable) {
    const fields = Object.entries({ accountId, code, reason, err }).filter(([, v]) => v !== undefined);
    console.log(
      `        ${time} ${severity} ${message} ${fields.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`,
    );
  }
}

/** Polls until `check` returns a truthy value, or fails with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Workers started by one suite's tests, all stopped after each test. `stopped(w)` is for a test
 * that stops a worker itself.
 */
export function workersPerTest() {
  const running: { stop(reason: string): Promise<unknown>; logs?: Record<string, unknown>[] }[] = [];
  afterEach(async function () {
    const workers = running.splice(0);
    await Promise.all(workers.map((w) => w.stop("test_done")));
    if (this.currentTest?.state === "failed") keepLogs(this.currentTest.fullTitle(), workers);
  });
  return {
    async start(network: Transport | null, env: Record<string, string> = {}, firestore?: Firestore) {
      const worker = await startTestWorker(network, env, firestore);
      running.push(worker);
      return worker;
    },
    stopped(worker: { stop(reason: string): Promise<unknown> }) {
      running.splice(running.indexOf(worker), 1);
    },
  };
}

/** An account that went through the QR flow on this network and is connected (a worker must be running). */
export async function linkedAccount(network: SimulatedWhatsApp, accountId = "acc-1", memberUids = ["alice"]) {
  const account = async () => (await adminDb().doc(paths.account(accountId)).get()).data()!;
  await seedAccount(adminDb(), accountId, { status: "pending_qr", memberUids });
  await eventually("QR written to the account", async () => (await account()).qr);
  assert.ok(network.scan(accountId));
  await eventually("account connected", async () => (await account()).status === "connected");
}

/**
 * A suite's per-test world: an empty emulator database and a new simulated WhatsApp before each
 * test (`network()` is the current one), and its workers stopped after it.
 */
export function simulatedWorldPerTest(options: SimulatedOptions = { deliveredReceiptMs: null }) {
  const workers = workersPerTest();
  let current: SimulatedWhatsApp | undefined;
  beforeEach(async () => {
    await resetFirestore();
    current = new SimulatedWhatsApp(options);
  });
  return { workers, network: () => current! };
}
