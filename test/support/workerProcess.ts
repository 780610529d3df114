import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { emulator } from "./emulator";

const MAIN = join(__dirname, "..", "..", "worker", "src", "main.ts");

/** A worker as its own process (so it can be SIGKILLed), on the emulator, simulated transport. */
export function spawnWorker(workerId: string, env: Record<string, string> = {}): ChildProcess {
  const { host, projectId } = emulator();
  return spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      METADATA_SERVER_DETECTION: "none",
      GCLOUD_PROJECT: projectId,
      FIRESTORE_EMULATOR_HOST: host,
      PORT: "0",
      WORKER_ID: workerId,
      WA_TRANSPORT: "simulated",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
