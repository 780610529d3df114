import { execFile } from "node:child_process";
import { join } from "node:path";
import { Timestamp } from "firebase-admin/firestore";
import { heartbeatBucketId, paths } from "@wa-gateway/core";
import { goNoGo } from "../../scripts/ops/go-no-go";
import { incident } from "../../scripts/ops/incident";
import { exitCodeOf, type OpsCommand } from "../../scripts/ops/opsContext";
import { optOut } from "../../scripts/ops/opt-out";
import { probe } from "../../scripts/ops/probe";
import { report } from "../../scripts/ops/report";
import { requeue } from "../../scripts/ops/requeue";
import { security } from "../../scripts/ops/security";
import { verifyDataQuality } from "../../scripts/ops/verify-dataquality";
import { verifyProbes } from "../../scripts/ops/verify-probes";
import { verifyRestartSafe } from "../../scripts/ops/verify-restart-safe";
import { adminDb, emulator } from "./emulator";

export const ROOT = join(__dirname, "..", "..");
export const T0 = Date.parse("2025-12-30T10:00:00Z");
export const MIN = 60_000;

const COMMANDS: Record<string, OpsCommand> = {
  "go-no-go": goNoGo,
  incident,
  "opt-out": optOut,
  probe,
  report,
  requeue,
  security,
  "verify-dataquality": verifyDataQuality,
  "verify-probes": verifyProbes,
  "verify-restart-safe": verifyRestartSafe,
};

/**
 * Runs an operator command in this process against the test emulator: the same function, options
 * parsing and exit codes as `npm run <name> -- …`, without a Node start per call (~1.3 s of CPU
 * each). `commandProcess` runs the real command line; every command has a test that does.
 */
export async function command(script: string, args: string[]): Promise<{ code: number; out: string }> {
  const run = COMMANDS[script];
  if (!run) throw new Error(`no operator command ${script}`);
  if (args.some((arg) => /^--(emulator|project)(=|$)/.test(arg)))
    throw new Error("another emulator or project: use commandProcess (the options would change this process)");
  const { host, projectId } = emulator();
  const lines: string[] = [];
  const collect = (line: string) => lines.push(line);
  const argv = ["--emulator", host, "--project", projectId, ...args];
  const code = await exitCodeOf(run, { argv, print: collect, warn: collect });
  return { code, out: lines.map((line) => `${line}\n`).join("") };
}

/** Runs an operator command as an operator would (`npm run <name> -- …`): its own Node process. */
export function commandProcess(script: string, args: string[]): Promise<{ code: number; out: string }> {
  const { host, projectId } = emulator();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "scripts", "ops", `${script}.ts`),
        "--emulator",
        host,
        "--project",
        projectId,
        ...args,
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          METADATA_SERVER_DETECTION: "none",
          // The test shards' shared V8 code cache (scripts/test-shards.ts).
          ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** Heartbeats every minute from `fromMin` to `toMin` (minutes after T0), by one instance under one epoch. */
export async function beats(fromMin: number, toMin: number, instanceId: string, lockEpoch: number) {
  const batch = adminDb().batch();
  for (let m = fromMin; m < toMin; m++) {
    const ms = T0 + m * MIN;
    const bucketId = heartbeatBucketId(new Date(ms), 60);
    batch.set(adminDb().doc(paths.longrun.heartbeat(bucketId)), {
      bucketId,
      tsIso: new Date(ms + 150).toISOString(),
      ts: Timestamp.fromMillis(ms + 150),
      serverTs: Timestamp.fromMillis(ms + 200),
      commitHash: "abc123",
      serviceVersion: "0.1.0",
      instanceId,
      lockEpoch,
      uptimeSec: m * 60,
      memoryRssMb: 80,
      memoryHeapUsedMb: 30,
      connectedCount: 1,
      intervalSec: 60,
      driftSec: 0.2,
      afterPlannedStop: false,
      expireAt: Timestamp.fromMillis(ms + 90 * 86_400_000),
    });
  }
  await batch.commit();
}
