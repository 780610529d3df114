import { execFile } from "node:child_process";
import { join } from "node:path";
import { Timestamp } from "firebase-admin/firestore";
import { heartbeatBucketId, paths } from "@wa-gateway/core";
import { adminDb, emulator } from "./emulator";

export const ROOT = join(__dirname, "..", "..");
export const T0 = Date.parse("2025-12-30T10:00:00Z");
export const MIN = 60_000;

/** Runs an operator command as an operator would (`npm run <name> -- …`), against the test emulator. */
export function command(script: string, args: string[]): Promise<{ code: number; out: string }> {
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
