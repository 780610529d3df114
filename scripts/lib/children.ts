import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/**
 * Child processes this script started, each in its own process group so that stopping it
 * also stops what it started (java under gcloud, the functions runtime under firebase-tools).
 * Every child is killed when this process exits, however it exits.
 */

export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Output kept for error messages (last 8 KB). */
  tail(): string;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ManagedChild>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

process.on("exit", () => {
  for (const child of live) killGroup(child.process, "SIGKILL");
});

export function startChild(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions & { onOutput?: (line: string) => void } = {},
): ManagedChild {
  const { onOutput, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...spawnOptions, detached: true });
  let tail = "";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const collect = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    tail = (tail + text).slice(-8192);
    if (onOutput) for (const line of text.split("\n")) if (line.trim()) onOutput(line);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exitedPromise = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      live.delete(managed);
      resolve();
    });
    child.on("error", (err) => {
      tail += `\n${err.message}`;
      exit = { code: -1, signal: null };
      live.delete(managed);
      resolve();
    });
  });

  const managed: ManagedChild = {
    name,
    process: child,
    tail: () => tail,
    exited: () => exit,
    async stop(graceMs = 5000) {
      if (exit) return;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      await exitedPromise;
      clearTimeout(timer);
      // The leader may exit before the rest of its group: make sure nothing of it stays.
      killGroup(child, "SIGKILL");
    },
  };
  live.add(managed);
  return managed;
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].reverse().map((child) => child.stop()));
}
