import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { freePort, waitUntil } from "../../scripts/lib/ports";
import { REPO_ROOT } from "../../scripts/lib/project";

/**
 * `npm start` stops on SIGTERM (timeout, systemd, CI runners) and SIGHUP (a closed terminal) sent
 * to npm's own process, as on Ctrl-C: nothing it started (the Firestore emulator's java,
 * firebase-tools, the worker) is left holding a port. Each signal gets its own boot of the stack,
 * on free ports (FIRESTORE_PORT, AUTH_PORT, FUNCTIONS_PORT, WORKER_PORT), with its own Firestore
 * emulator. The processes are read from /proc (Linux), so the whole tree is known before the
 * signal: an orphan is re-parented away from it afterwards.
 */

interface Proc {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: a pid reused by another process has another one. */
  start: string;
  command: string;
}

function processTable(): Proc[] {
  const table: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after "(comm)": state, ppid, …; starttime is field 22 of the line.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue; // exited, not yet reaped
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      table.push({ pid: Number(entry), ppid: Number(fields[1]), start: fields[19]!, command });
    } catch {
      /* exited while we read */
    }
  }
  return table;
}

/** The process and every process below it, now. */
function treeOf(rootPid: number): Proc[] {
  const table = processTable();
  const tree = table.filter((p) => p.pid === rootPid);
  for (let i = 0; i < tree.length; i++) tree.push(...table.filter((p) => p.ppid === tree[i]!.pid));
  return tree;
}

/** Those of `procs` still running (same pid, same start time). */
function stillRunning(procs: Proc[]): Proc[] {
  const now = new Map(processTable().map((p) => [p.pid, p.start]));
  return procs.filter((p) => now.get(p.pid) === p.start);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

interface RunningStack {
  npm: ChildProcess;
  ports: number[];
  output(): string;
}

async function startStack(): Promise<RunningStack> {
  const ports = {
    FIRESTORE_PORT: await freePort(),
    AUTH_PORT: await freePort(),
    FUNCTIONS_PORT: await freePort(),
    WORKER_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, METADATA_SERVER_DETECTION: "none" };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  // The stack starts its own Firestore emulator (its java is part of what must stop).
  delete env.FIRESTORE_EMULATOR_HOST;
  delete env.FIREBASE_AUTH_EMULATOR_HOST;
  const npm = spawn("npm", ["start"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  npm.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  npm.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await waitUntil("npm start's banner", async () => output.includes("Ctrl-C stops everything"), {
    timeoutMs: 90_000,
    abort: () => (npm.exitCode !== null || npm.signalCode !== null ? `npm start exited:\n${output}` : undefined),
  });
  return { npm, ports: Object.values(ports), output: () => output };
}

describe("npm start stops on SIGTERM and SIGHUP", function () {
  this.timeout(150_000);
  /** What each test started, killed by pid if the test fails with it still running. */
  let started: Proc[] = [];
  afterEach(() => {
    for (const p of stillRunning(started)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
    started = [];
  });

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    it(`${signal} to npm start's process leaves no process of its tree and frees its ports`, async () => {
      const stack = await startStack();
      started = treeOf(stack.npm.pid!);
      const commands = started.map((p) => p.command).join("\n");
      assert.match(commands, /java .*CloudFirestore|cloud-firestore-emulator/, "the stack runs its own emulator");
      assert.match(commands, /firebase emulators:start/);
      assert.match(commands, /worker\/src\/main\.ts/);

      process.kill(stack.npm.pid!, signal);
      await waitUntil(
        `every process of npm start's tree gone after ${signal}`,
        async () => !stillRunning(started).length,
        {
          timeoutMs: 30_000,
          intervalMs: 250,
        },
      ).catch((err: Error) => {
        const left = stillRunning(started).map((p) => `${p.pid} ${p.command.slice(0, 120)}`);
        throw new Error(
          `${err.message}; still running:\n${left.join("\n")}\n--- output:\n${stack.output().slice(-3000)}`,
        );
      });
      for (const port of stack.ports) assert.ok(await portIsFree(port), `port ${port} is still held`);
    });
  }
});
