import { spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./project";

const MAIN = join(REPO_ROOT, "worker", "src", "main.ts");

/**
 * Node flags the worker runs with, here and in its image (worker/Dockerfile's CMD; a fast test
 * keeps the two alike). A 4 MiB young-generation semi-space: V8's default grows it to 64 MiB,
 * which a worker restarting its sockets fills once and then keeps committed, about 1.6 MiB of
 * RSS per socket for nothing (`npm run bench -- baileys`; docs/worker.md, "Memory").
 */
export const WORKER_NODE_FLAGS = ["--max-semi-space-size=4"];

/**
 * A worker as its own process (so it can be SIGKILLed) on the given Firestore emulator, with the
 * simulated transport; `env` overrides the defaults. `preload`: modules imported before the
 * worker (the chaos suite's fault injection).
 */
export function spawnWorker(
  target: { host: string; projectId: string },
  workerId: string,
  env: Record<string, string> = {},
  preload: string[] = [],
): ChildProcess {
  return spawn(
    process.execPath,
    [...WORKER_NODE_FLAGS, "--import", "tsx", ...preload.flatMap((m) => ["--import", m]), MAIN],
    {
      env: {
        PATH: process.env.PATH ?? "",
        METADATA_SERVER_DETECTION: "none",
        GCLOUD_PROJECT: target.projectId,
        FIRESTORE_EMULATOR_HOST: target.host,
        PORT: "0",
        WORKER_ID: workerId,
        WA_TRANSPORT: "simulated",
        LOG_LEVEL: "warn",
        // npm run check:baileys -- --candidate: the worker processes load the candidate too.
        ...(process.env.WA_BAILEYS_CANDIDATE_DIR
          ? { WA_BAILEYS_CANDIDATE_DIR: process.env.WA_BAILEYS_CANDIDATE_DIR }
          : {}),
        // The test shards' shared V8 code cache (scripts/test-shards.ts).
        ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
        ...env,
      },
      // WORKER_LOG_DIR (tests): each process's JSON log lines in <dir>/<workerId>.log, for post-mortems.
      stdio: [
        "ignore",
        process.env.WORKER_LOG_DIR ? openSync(join(process.env.WORKER_LOG_DIR, `${workerId}.log`), "a") : "ignore",
        "inherit",
      ],
    },
  );
}
