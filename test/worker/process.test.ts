import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort, httpAnswers, waitUntil } from "../../scripts/lib/ports";
import { WORKER_NODE_FLAGS } from "../../scripts/lib/workerProcess";
import { adminDb, emulator, resetFirestore } from "../support/emulator";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { seedAccount, seedLinkedSession, sendPayload } from "../support/fixtures";

const sendHandler = () => (payload: unknown) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 10_000, windowSec: 60 } },
    { uid: "alice", admin: false },
    payload,
  );

const MAIN = join(__dirname, "..", "..", "worker", "src", "main.ts");

function runWorker(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, "--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", METADATA_SERVER_DETECTION: "none", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exit };
}

describe("worker process", () => {
  it("exits 78 with a clear message when the environment is wrong", async () => {
    const w = runWorker({ PORT: "not-a-port", WA_TRANSPORT: "carrier-pigeon" });
    assert.equal(await w.exit, 78);
    assert.match(w.output(), /GCLOUD_PROJECT .*required/);
    assert.match(w.output(), /PORT/);
    assert.match(w.output(), /WA_TRANSPORT/);
  });

  it("refuses a WhatsApp edge without TLS unless it is on loopback, with a clear message", async () => {
    const w = runWorker({
      GCLOUD_PROJECT: emulator().projectId,
      WA_TRANSPORT: "baileys",
      WA_WEBSOCKET_URL: "ws://web.whatsapp.example/ws/chat",
      PORT: "0",
    });
    assert.equal(await w.exit, 78);
    assert.match(w.output(), /WA_WEBSOCKET_URL: must be wss:\/\/ unless it is a loopback address/);
  });

  // A process of its own: the Admin SDK takes FIRESTORE_EMULATOR_HOST from the environment,
  // so an in-process worker would reach the suite's emulator whatever its config says.
  it("logs each failed readiness check at warning, with what to check, from start-up on", async function () {
    this.timeout(40_000);
    const nowhere = `127.0.0.1:${await freePort()}`;
    const w = runWorker({
      GCLOUD_PROJECT: emulator().projectId,
      FIRESTORE_EMULATOR_HOST: nowhere,
      PORT: "0",
      WA_TRANSPORT: "simulated",
      HEARTBEATS: "off",
    });
    const warnings = () =>
      w
        .output()
        .split("\n")
        .filter((line) => line.includes('"message":"firestore_not_ready"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.severity === "WARNING");
    try {
      // Nobody polls /readyz: the worker checks by itself, again every 10 s while it fails, and warns
      // from the second failed check on (a cold first read can miss its 2 s on a healthy boot).
      await waitUntil("a firestore_not_ready warning", async () => warnings().length > 0, {
        timeoutMs: 25_000,
        abort: () => (w.child.exitCode !== null ? `worker exited:\n${w.output()}` : undefined),
      });
      const [warning] = warnings();
      assert.equal(warning?.severity, "WARNING");
      assert.match(String(warning?.check), new RegExp(`Firestore emulator running at ${nowhere}`));
      assert.match(String(warning?.error), /no answer within|ECONNREFUSED|UNAVAILABLE/);
    } finally {
      w.child.kill("SIGKILL");
    }
  });

  it("is not ready while Firestore does not answer, and stops on SIGTERM with exit 0", async function () {
    this.timeout(30_000);
    const port = await freePort();
    const deadFirestore = `127.0.0.1:${await freePort()}`;
    const w = runWorker({
      GCLOUD_PROJECT: emulator().projectId,
      FIRESTORE_EMULATOR_HOST: deadFirestore,
      PORT: String(port),
      WA_TRANSPORT: "simulated",
    });
    try {
      await waitUntil("worker /healthz", () => httpAnswers(`http://127.0.0.1:${port}/healthz`), {
        timeoutMs: 15_000,
        abort: () => (w.child.exitCode !== null ? `worker exited:\n${w.output()}` : undefined),
      });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 503);
      const t0 = Date.now();
      w.child.kill("SIGTERM");
      assert.equal(await w.exit, 0);
      assert.ok(Date.now() - t0 < 10_000, "stopped within the shutdown bound");
      assert.match(w.output(), /"message":"shutdown_finished"/);
    } finally {
      w.child.kill("SIGKILL");
    }
  });
});

describe("worker process stopped mid-start", () => {
  beforeEach(resetFirestore);

  it("a SIGTERM while accounts are still being claimed and connected exits 0 and touches Firestore no more", async function () {
    this.timeout(60_000);
    for (let i = 0; i < 20; i++) {
      const id = `busy-${String(i).padStart(2, "0")}`;
      await seedAccount(adminDb(), id, { status: "disconnected", memberUids: ["alice"] });
      await seedLinkedSession(adminDb(), id, `40710${String(i).padStart(2, "0")}00000@s.whatsapp.net`);
    }
    // Each account has work waiting, so its outbox starts sweeping and claiming at once.
    const send = sendHandler();
    for (let i = 0; i < 40; i++) {
      const accountId = `busy-${String(i % 20).padStart(2, "0")}`;
      await send(sendPayload({ accountId, threadId: `t-${i}`, clientMessageId: `m-${i}`, toJid: `4072${1e6 + i}` }));
    }
    const w = runWorker({
      GCLOUD_PROJECT: emulator().projectId,
      FIRESTORE_EMULATOR_HOST: emulator().host,
      PORT: "0",
      WA_TRANSPORT: "simulated",
      HEARTBEATS: "off",
      LOG_LEVEL: "info",
    });
    try {
      await waitUntil("the first account claimed", async () => w.output().includes("account_lease_claimed"), {
        intervalMs: 5,
        timeoutMs: 30_000,
        abort: () => (w.child.exitCode !== null ? `worker exited:\n${w.output()}` : undefined),
      });
      w.child.kill("SIGTERM");
      assert.equal(await w.exit, 0, w.output());
      assert.doesNotMatch(w.output(), /client has already been terminated/);
      assert.match(w.output(), /"message":"shutdown_finished"/);
    } finally {
      w.child.kill("SIGKILL");
    }
  });
});
