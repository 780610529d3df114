import assert from "node:assert/strict";
import { initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import { parseWorkerConfig } from "../../worker/src/config";
import { createLogger } from "../../worker/src/logging/logger";
import { startWorker, type RunningWorker } from "../../worker/src/worker";
import { emulator } from "../support/emulator";
import { jsonLineSink } from "../support/logSink";

function quietLogger() {
  const { sink, lines } = jsonLineSink();
  return { logger: createLogger({ level: "info", workerId: "test" }, sink), lines };
}

describe("worker health endpoints against the emulator", () => {
  let worker: RunningWorker;
  let base: string;
  let logLines: Record<string, unknown>[];

  beforeEach(async () => {
    const { host, projectId } = emulator();
    const config = parseWorkerConfig({
      GCLOUD_PROJECT: projectId,
      FIRESTORE_EMULATOR_HOST: host,
      PORT: "0",
      WORKER_ID: `health-${Math.random().toString(36).slice(2, 8)}`,
      WA_TRANSPORT: "simulated",
    });
    const { logger, lines } = quietLogger();
    logLines = lines;
    worker = await startWorker(config, logger);
    base = `http://127.0.0.1:${worker.port}`;
  });

  afterEach(() => worker.stop("test_done"));

  it("listens on 127.0.0.1 only when it runs on the emulator (locally), unless HOST says otherwise", async () => {
    assert.equal(worker.address, "127.0.0.1");
    const { host, projectId } = emulator();
    const everywhere = await startWorker(
      parseWorkerConfig({
        GCLOUD_PROJECT: projectId,
        FIRESTORE_EMULATOR_HOST: host,
        PORT: "0",
        HOST: "0.0.0.0",
        WORKER_ID: "health-host",
        WA_TRANSPORT: "simulated",
        HEARTBEATS: "off",
      }),
      quietLogger().logger,
    );
    try {
      assert.equal(everywhere.address, "0.0.0.0");
    } finally {
      await everywhere.stop("test_done");
    }
    assert.equal(parseWorkerConfig({ GCLOUD_PROJECT: "p" }).host, undefined, "production: every interface");
    assert.throws(() => parseWorkerConfig({ GCLOUD_PROJECT: "p", HOST: "evil host" }), /HOST/);
  });

  it("/healthz answers ok while the process is alive", async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, "ok");
  });

  it("/readyz is ready when Firestore answers", async () => {
    const res = await fetch(`${base}/readyz`);
    const body = (await res.json()) as { status: string; checks: { firestore: { ok: boolean } } };
    assert.equal(res.status, 200);
    assert.equal(body.status, "ready");
    assert.equal(body.checks.firestore.ok, true);
  });

  it("/metrics-json names the worker", async () => {
    const body = (await (await fetch(`${base}/metrics-json`)).json()) as { workerId: string; transport: string };
    assert.match(body.workerId, /^health-/);
    assert.equal(body.transport, "simulated");
  });

  it("an unknown path is 404 and a POST is 405", async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`, { method: "POST" })).status, 405);
  });

  it("logs JSON lines with severity and an event name as the message", () => {
    const started = logLines.find((l) => l.message === "worker_started");
    assert.ok(started, "worker_started was logged");
    assert.equal(started.severity, "INFO");
    assert.equal(typeof started.port, "number");
  });

  it("stops cleanly, and a second stop waits for the same shutdown", async () => {
    const [a, b] = await Promise.all([worker.stop("SIGTERM"), worker.stop("SIGINT")]);
    assert.equal(a, "clean");
    assert.equal(b, "clean");
    await assert.rejects(fetch(`${base}/healthz`));
  });

  it("stopping leaves a Firestore client it was given open: the caller owns it", async () => {
    const { host, projectId } = emulator();
    const shared = getFirestore(initializeApp({ projectId }, `caller-owned-${Date.now()}`));
    const borrowed = await startWorker(
      parseWorkerConfig({
        GCLOUD_PROJECT: projectId,
        FIRESTORE_EMULATOR_HOST: host,
        PORT: "0",
        WORKER_ID: "health-borrowed",
        WA_TRANSPORT: "simulated",
        HEARTBEATS: "off",
      }),
      quietLogger().logger,
      { firestore: shared },
    );
    assert.equal(await borrowed.stop("test_done"), "clean");
    await shared.doc("wa_metrics/longrun").get(); // throws "client has already been terminated" if it was closed
    await shared.terminate();
  });
});
