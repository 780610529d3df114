import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { runWatchdog } from "@wa-gateway/core/longrun";
import { countingFirestore } from "../../scripts/bench/countingFirestore";
import { accountIdAt, disconnectedAt, seedHealthySystem, watchdogDeps } from "../../scripts/lib/watchdogFixtures";
import { adminDb, resetFirestore } from "../support/emulator";

const MIN = 60_000;

/** Open account incidents (the heartbeat ones are not this suite's concern: no beats are seeded). */
async function openAccountIncidents() {
  const snap = await adminDb().collection(paths.longrun.incidents).where("status", "==", "open").get();
  return snap.docs
    .filter((d) => ["logged_out", "reconnect_loop", "no_active_account", "inbound_backlog"].includes(d.get("type")))
    .map((d) => `${d.get("type")}/${d.get("key")}`)
    .sort();
}

describe("watchdog at 1000 accounts", function () {
  this.timeout(120_000);
  const now = Date.now();

  before(async () => {
    await resetFirestore();
    await seedHealthySystem(adminDb(), 1000, now);
    await adminDb()
      .doc(paths.account(accountIdAt(1)))
      .update({ status: "logged_out" });
    // Seven closes within the hour: above the default threshold of 5.
    await disconnectedAt(
      adminDb(),
      accountIdAt(2),
      [50, 40, 30, 20, 10, 5, 1].map((m) => now - m * MIN),
    );
    // Its worker has failed to store its inbound messages for three minutes.
    await adminDb()
      .doc(paths.account(accountIdAt(3)))
      .update({ inboundStuckSince: new Date(now - 3 * MIN) });
  });

  it("opens what is wrong, reads only what may be wrong, and keeps its own document small", async () => {
    const counted = countingFirestore(adminDb());
    const result = await runWatchdog(watchdogDeps(counted.db), now, now);
    assert.equal(result.status, "done");
    assert.deepEqual(await openAccountIncidents(), [
      `inbound_backlog/${accountIdAt(3)}`,
      `logged_out/${accountIdAt(1)}`,
      `reconnect_loop/${accountIdAt(2)}`,
    ]);
    assert.ok(counted.counts.reads <= 30, `${counted.counts.reads} reads for 1000 accounts`);
    const watchdogDoc = (await adminDb().doc(paths.longrun.watchdogState).get()).data()!;
    const bytes = Buffer.byteLength(JSON.stringify(watchdogDoc));
    assert.ok(bytes < 8_192, `state/watchdog is ${bytes} bytes`);
  });

  it("an hour of runs later the document has not grown, and a loop and a backlog that stopped resolve", async () => {
    for (let m = 1; m <= 60; m += 5) await runWatchdog(watchdogDeps(adminDb()), now + m * MIN, now + m * MIN);
    // The account stopped flapping 70 minutes ago.
    await disconnectedAt(
      adminDb(),
      accountIdAt(2),
      [80, 75, 70].map((m) => now - m * MIN),
      "connected",
    );
    await adminDb()
      .doc(paths.account(accountIdAt(2)))
      .update({ "owner.leaseUntil": new Date(now + 3 * 3_600_000) });
    // And the inbound messages were stored in the end.
    await adminDb()
      .doc(paths.account(accountIdAt(3)))
      .update({ inboundStuckSince: null });
    const counted = countingFirestore(adminDb());
    await runWatchdog(watchdogDeps(counted.db), now + 61 * MIN, now + 61 * MIN);
    assert.deepEqual(await openAccountIncidents(), [`logged_out/${accountIdAt(1)}`]);
    assert.ok(counted.counts.reads <= 30, `${counted.counts.reads} reads`);
    const bytes = Buffer.byteLength(JSON.stringify((await adminDb().doc(paths.longrun.watchdogState).get()).data()));
    assert.ok(bytes < 8_192, `state/watchdog is ${bytes} bytes after an hour`);
  });
});
