import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { heartbeatBucketId, paths } from "@wa-gateway/core";
import { type Rollup } from "@wa-gateway/core/longrun";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedIncident, seedProbe } from "../support/longrunFixtures";
import { callAs, captureConsole, loadFunctionsWithAlertsOff } from "../support/functions";

const DAY = Date.parse("2025-12-30T00:00:00Z");
const MIN = 60_000;

async function beatsAt(minutesFromDay: number[]) {
  const batch = adminDb().batch();
  for (const m of minutesFromDay) {
    const ms = DAY + m * MIN;
    const bucketId = heartbeatBucketId(new Date(ms), 60);
    batch.set(adminDb().doc(paths.longrun.heartbeat(bucketId)), {
      serverTs: Timestamp.fromMillis(ms + 300),
      instanceId: m < 20 ? "w1" : "w2",
      lockEpoch: m < 20 ? 1 : 2,
      afterPlannedStop: false,
    });
  }
  await batch.commit();
}

describe("daily rollup (whatsappAdminRunRollup and the 00:05 schedule)", function () {
  this.timeout(60_000);
  let fns: ReturnType<typeof loadFunctionsWithAlertsOff>;
  const rollupOf = (date: string, uid = "ops", admin = true) =>
    captureConsole(() => callAs<Rollup>(fns.whatsappAdminRunRollup as never, { date }, { uid, admin }));

  before(() => (fns = loadFunctionsWithAlertsOff()));

  beforeEach(async () => {
    await resetFirestore();
    await adminDb().doc(paths.longrun.config).set({ heartbeatIntervalSec: 60 });
    await adminDb()
      .doc(paths.longrun.state)
      .set({ firstHeartbeatAt: Timestamp.fromMillis(DAY - 86_400_000) });
    // Down from 23:50 on the 29th to 00:20 on the 30th, then a beat every minute to the 31st.
    await beatsAt([-10, ...Array.from({ length: 1420 }, (_, i) => 20 + i), 1440]);
    await seedIncident(adminDb(), "missed_heartbeat_global_20251229T235000", {
      type: "missed_heartbeat",
      tsStart: new Date(DAY - 10 * MIN + 300),
      tsDetected: new Date(DAY - 8 * MIN),
      tsEnd: new Date(DAY + 20 * MIN + 300),
      mttrSec: 1800,
    });
  });

  it("a past day's rollup shows the gap across midnight, its MTTR from onset, and reruns to the same numbers", async () => {
    const first = (await rollupOf("2025-12-30")).result!;
    assert.equal(first.complete, true);
    assert.equal(first.heartbeat.observedBuckets, 1420);
    assert.equal(first.heartbeat.expectedBeats, 1440);
    assert.equal(first.heartbeat.coverage, 0.9861);
    assert.equal(first.insufficientData, false);
    assert.deepEqual(first.maxGap, {
      startIso: "2025-12-29T23:50:00.300Z",
      endIso: "2025-12-30T00:20:00.300Z",
      durationSec: 1800,
      missedBeats: 29,
      planned: false,
    });
    assert.equal(first.unplannedDowntimeSec, 1200);
    assert.deepEqual(first.incidents.mttr, { count: 1, meanSec: 1800, medianSec: 1800, p90Sec: 1800 });

    const second = (await rollupOf("2025-12-30")).result!;
    assert.deepEqual(second, first);
    const stored = (await adminDb().doc(paths.longrun.rollup("2025-12-30")).get()).data()!;
    assert.equal(stored.gapCount, first.gapCount);
    assert.equal(stored.expireAt, undefined, "rollups are kept");
    const run = (await adminDb().doc(paths.longrun.run("rollup_2025-12-30")).get()).data()!;
    assert.equal(run.status, "done");
  });

  it("the schedule rolls up the day before", async () => {
    const { error } = await captureConsole(async () => {
      await fns.longrunDailyRollup.run({ scheduleTime: "2025-12-31T00:05:00.000Z", jobName: "test" } as never);
    });
    assert.equal(error, undefined);
    assert.equal(
      (await adminDb().doc(paths.longrun.rollup("2025-12-30")).get()).get("heartbeat.observedBuckets"),
      1420,
    );
  });

  it("a day under the probe pass rate and over the incident count opens both; the next day within target resolves them", async () => {
    const targets = async () =>
      (
        await adminDb()
          .collection(paths.longrun.incidents)
          .where("type", "in", ["probe_pass_rate", "incident_count"])
          .get()
      ).docs
        .map((d) => `${d.get("type") as string}:${d.get("status") as string}`)
        .sort();
    // The 30th: 8 of 10 OUT probes passed (80 %, target 90 %) and 11 more incidents opened (12 in all, limit 10).
    for (let i = 0; i < 10; i++) {
      const startedAt = new Date(DAY + (60 + i * 60) * MIN);
      await seedProbe(adminDb(), { key: `OUT_30_${i}`, type: "OUT", result: i < 8 ? "PASS" : "FAIL", startedAt });
    }
    for (let i = 0; i < 11; i++) {
      const tsStart = new Date(DAY + (100 + i) * MIN);
      await seedIncident(adminDb(), `outbox_lag_global_30_${i}`, {
        type: "outbox_lag",
        tsStart,
        tsEnd: new Date(tsStart.getTime() + MIN),
      });
    }
    await rollupOf("2025-12-30");
    assert.deepEqual(await targets(), ["incident_count:open", "probe_pass_rate:open"]);
    // The 31st: every probe passed, no incident opened.
    for (let i = 0; i < 10; i++) {
      const startedAt = new Date(DAY + 86_400_000 + (60 + i * 60) * MIN);
      await seedProbe(adminDb(), { key: `OUT_31_${i}`, type: "OUT", result: "PASS", startedAt });
    }
    await rollupOf("2025-12-31");
    assert.deepEqual(await targets(), ["incident_count:resolved", "probe_pass_rate:resolved"]);
  });

  it("refuses a date that is not one, a day not yet begun, and callers who are not admins", async () => {
    for (const date of ["2025-02-30", "30.12.2025", "2999-01-01"]) {
      const { error } = await rollupOf(date);
      assert.equal((error as { code?: string }).code, "invalid-argument", date);
    }
    assert.equal(((await rollupOf("2025-12-30", "alice", false)).error as { code?: string }).code, "permission-denied");
    assert.equal((await adminDb().collection(paths.longrun.rollups).get()).size, 0);
  });
});
