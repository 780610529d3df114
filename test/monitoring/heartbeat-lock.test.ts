import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { paths } from "@wa-gateway/core";
import { worstCaseHandoverSec } from "@wa-gateway/core/longrun";
import { adminDb, resetFirestore } from "../support/emulator";
import { eventually } from "../support/worker";
import { spawnWorker } from "../support/workerProcess";
const INTERVAL_SEC = 5;
const LEASE_SEC = 3;
const POLL_SEC = 1;
/** Emulator round trips and process scheduling on a 2-core machine. */
const SLACK_SEC = 1.5;

interface BeatRow {
  bucketId: string;
  instanceId: string;
  lockEpoch: number;
  serverMs: number;
  afterPlannedStop: boolean;
}

async function beats(): Promise<BeatRow[]> {
  const snap = await adminDb().collection(paths.longrun.heartbeats).orderBy("serverTs").get();
  return snap.docs.map((d) => ({
    bucketId: d.id,
    instanceId: d.get("instanceId"),
    lockEpoch: d.get("lockEpoch"),
    serverMs: d.get("serverTs").toMillis(),
    afterPlannedStop: d.get("afterPlannedStop"),
  }));
}

/**
 * Three worker processes race for the heartbeat lock. The holder is killed with SIGKILL, then
 * the next one is stopped with SIGTERM: each time exactly one other instance takes over, no
 * bucket is written twice, and the silence stays under interval + lease + poll.
 */
describe("heartbeat lock: three workers racing", function () {
  this.timeout(120_000);
  const children = new Map<string, ChildProcess>();

  const start = (id: string) => {
    const child = spawnWorker(id, {
      HEARTBEAT_LOCK_LEASE_SEC: String(LEASE_SEC),
      HEARTBEAT_LOCK_POLL_SEC: String(POLL_SEC),
    });
    children.set(id, child);
    return child;
  };

  after(() => {
    for (const child of children.values()) child.kill("SIGKILL");
  });

  it("exactly one holder at a time, no bucket twice, handover within the bound", async () => {
    await resetFirestore();
    const db = adminDb();
    await db.doc(paths.longrun.config).set({ heartbeatIntervalSec: INTERVAL_SEC });
    ["hb-a", "hb-b", "hb-c"].forEach(start);

    const holder = async () => (await db.doc(paths.longrun.lock("heartbeat-scheduler")).get()).get("holder") as string;
    await eventually("three beats", async () => (await beats()).length >= 3, 40_000);
    const first = await holder();
    assert.deepEqual(new Set((await beats()).map((b) => b.instanceId)), new Set([first]));

    // Crash: no release, the lease has to run out.
    children.get(first)!.kill("SIGKILL");
    const second = await eventually(
      "a second instance beating",
      async () => (await beats()).find((b) => b.instanceId !== first)?.instanceId,
      30_000,
    );
    await eventually(
      "two beats from the second",
      async () => (await beats()).filter((b) => b.instanceId === second).length >= 2,
      20_000,
    );

    // Planned stop: the lock is handed over at once and the gap is marked planned.
    children.get(second)!.kill("SIGTERM");
    const third = await eventually(
      "the third instance beating",
      async () => (await beats()).find((b) => b.instanceId !== first && b.instanceId !== second)?.instanceId,
      30_000,
    );
    await eventually(
      "two beats from the third",
      async () => (await beats()).filter((b) => b.instanceId === third).length >= 2,
      20_000,
    );

    const rows = await beats();
    // One holder at a time: the epochs never interleave, and each instance beat under one epoch.
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.lockEpoch >= rows[i - 1]!.lockEpoch, "epochs interleave");
    const instances = [...new Set(rows.map((r) => r.instanceId))];
    assert.deepEqual(instances, [first, second, third]);
    for (const id of instances)
      assert.equal(new Set(rows.filter((r) => r.instanceId === id).map((r) => r.lockEpoch)).size, 1);
    // No bucket twice (create() refuses it) and none between two holders' beats out of order.
    assert.equal(new Set(rows.map((r) => r.bucketId)).size, rows.length);

    const bound = worstCaseHandoverSec(INTERVAL_SEC, LEASE_SEC, POLL_SEC) + SLACK_SEC;
    const handovers = rows
      .map((r, i) =>
        i > 0 && r.instanceId !== rows[i - 1]!.instanceId
          ? { gapSec: (r.serverMs - rows[i - 1]!.serverMs) / 1000, planned: r.afterPlannedStop }
          : null,
      )
      .filter((h): h is { gapSec: number; planned: boolean } => h !== null);
    assert.equal(handovers.length, 2);
    for (const h of handovers) assert.ok(h.gapSec <= bound, `handover took ${h.gapSec} s, bound ${bound} s`);
    assert.deepEqual(
      handovers.map((h) => h.planned),
      [false, true],
    );
    process.stdout.write(
      `      handover gaps: ${handovers.map((h) => `${h.gapSec.toFixed(1)} s`).join(", ")} (bound ${bound} s)\n`,
    );
  });
});
