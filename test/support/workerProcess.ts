import type { ChildProcess } from "node:child_process";
import { spawnWorker as spawnOn } from "../../scripts/lib/workerProcess";
import { emulator } from "./emulator";

/** A worker as its own process (so it can be SIGKILLed), on the test emulator. */
export function spawnWorker(workerId: string, env: Record<string, string> = {}, preload: string[] = []): ChildProcess {
  return spawnOn(emulator(), workerId, env, preload);
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
