import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { heartbeatBucketId, paths } from "@wa-gateway/core";
import { heartbeatDocument } from "@wa-gateway/core/documents";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "../support/emulator";
import { eventually, workersPerTest } from "../support/worker";

/** Heartbeat documents (the Firestore DocumentData shape), oldest first. */
const beats = async (): Promise<FirebaseFirestore.DocumentData[]> =>
  (await adminDb().collection(paths.longrun.heartbeats).orderBy("serverTs").get()).docs.map((d) => ({
    id: d.id,
    ...d.data(),
  }));

describe("heartbeats (worker)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(60_000);
  const workers = workersPerTest();

  beforeEach(async () => {
    await resetFirestore();
    await adminDb().doc(paths.longrun.config).set({ heartbeatIntervalSec: 5 });
  });

  it("the lock holder writes one beat per bucket with the runbook's fields, and state/current follows it", async () => {
    const w = await workers.start(new SimulatedWhatsApp(), { COMMIT_HASH: "c0ffee1", SERVICE_VERSION: "2.1.0" });
    await eventually("two beats", async () => (await beats()).length >= 2, 20_000);
    const [first, second] = await beats();
    assert.ok(heartbeatDocument.safeParse(first).success, JSON.stringify(heartbeatDocument.safeParse(first).error));
    assert.equal(first!.id, heartbeatBucketId(first!.ts.toDate(), 5));
    assert.equal(first!.commitHash, "c0ffee1");
    assert.equal(first!.serviceVersion, "2.1.0");
    assert.equal(first!.instanceId, w.workerId);
    assert.equal(first!.lockEpoch, 1);
    assert.equal(first!.connectedCount, 0);
    assert.ok(first!.memoryRssMb > 0);
    assert.ok(second!.serverTs.toMillis() - first!.serverTs.toMillis() <= 5_500);

    const state = (await adminDb().doc(paths.longrun.state).get()).data()!;
    const last = (await beats()).at(-1)!;
    assert.equal(state.lastHeartbeatBucketId, last.id);
    assert.equal(state.lastHeartbeatInstanceId, w.workerId);
    assert.ok(state.firstHeartbeatAt.toMillis() <= first!.serverTs.toMillis());
  });

  it("a changed interval in config/current applies without a restart", async () => {
    await workers.start(new SimulatedWhatsApp());
    await eventually("a beat at 5 s", async () => (await beats()).length >= 1, 20_000);
    await adminDb().doc(paths.longrun.config).set({ heartbeatIntervalSec: 6 });
    const changedAt = Date.now();
    await eventually(
      "two beats on 6 s buckets",
      async () => (await beats()).filter((b) => b.ts.toMillis() > changedAt + 100).length >= 2,
      30_000,
    );
    const after = (await beats()).filter((b) => b.ts.toMillis() > changedAt + 100);
    for (const b of after) {
      assert.equal(b.intervalSec, 6);
      assert.equal(b.id, heartbeatBucketId(b.ts.toDate(), 6));
    }
  });

  it("a SIGTERM marks the stop as planned and hands the lock over at once", async () => {
    const w = await workers.start(new SimulatedWhatsApp());
    await eventually("a beat", async () => (await beats()).length >= 1, 20_000);
    workers.stopped(w);
    assert.equal(await w.stop("SIGTERM"), "clean");
    const state = (await adminDb().doc(paths.longrun.state).get()).data()!;
    assert.equal(state.plannedStopBy, w.workerId);
    const lock = (await adminDb().doc(paths.longrun.lock("heartbeat-scheduler")).get()).data()!;
    assert.ok(lock.leaseUntilTs.toMillis() <= Date.now(), "the lease was given up, not left to expire");
    assert.equal(lock.epoch, 1, "the epoch is kept for the next holder to raise");
  });
});
