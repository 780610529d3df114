import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort, httpAnswers, waitUntil } from "../../scripts/lib/ports";
import { emulator } from "../support/emulator";

const MAIN = join(__dirname, "..", "..", "worker", "src", "main.ts");

function runWorker(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
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

  it("refuses WA_TRANSPORT=baileys with a clear message while that transport is not built in", async () => {
    const w = runWorker({ GCLOUD_PROJECT: emulator().projectId, WA_TRANSPORT: "baileys", PORT: "0" });
    assert.equal(await w.exit, 78);
    assert.match(w.output(), /Baileys transport is not in this build/);
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
