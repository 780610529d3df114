import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { instancesFor, runCapacity, runWatchdog, type JobLog } from "@wa-gateway/core/longrun";
import { cloudRunScaling, MIN_INSTANCES_MASK } from "../../functions/src/lib/cloudRunScaling";
import { liveAccountCount } from "../../functions/src/stores/capacityStore";
import { accountIdAt, seedHealthySystem, watchdogDeps } from "../../scripts/lib/watchdogFixtures";
import { adminDb, resetFirestore } from "../support/emulator";
import { FakeCloudRun } from "../support/fakeCloudRun";

const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("worker capacity follows the accounts", function () {
  this.timeout(60_000);
  let cloudRun: FakeCloudRun;
  const now = Date.now();

  beforeEach(async () => {
    await resetFirestore();
    cloudRun = await FakeCloudRun.start("demo-wa-gateway", "europe-west1", "wa-worker");
  });
  afterEach(() => cloudRun.close());

  const capacity = (over: { maxInstances?: number; dryRun?: boolean } = {}) =>
    runCapacity({
      liveAccounts: () => liveAccountCount(adminDb()),
      scaling: cloudRunScaling({
        apiRoot: cloudRun.apiRoot,
        project: "demo-wa-gateway",
        region: "europe-west1",
        service: "wa-worker",
      }),
      policy: { accountsPerWorker: 50, spare: 1, maxInstances: over.maxInstances ?? 5 },
      dryRun: over.dryRun ?? false,
      log: quiet,
    });

  it("asks for the instances 120 accounts need plus a spare, on the service, with no new revision", async () => {
    await seedHealthySystem(adminDb(), 120, now);
    // Removed and logged-out accounts need no socket.
    await adminDb()
      .doc(paths.account(accountIdAt(0)))
      .update({ status: "removed" });
    await adminDb()
      .doc(paths.account(accountIdAt(1)))
      .update({ status: "logged_out" });

    assert.deepEqual(await capacity(), { kind: "set", from: 1, to: 4, liveAccounts: 118, capped: false });
    assert.equal(cloudRun.service.scaling.minInstanceCount, 4);
    const patches = cloudRun.requests.filter((r) => r.method === "PATCH");
    assert.deepEqual(
      patches.map((p) => [p.updateMask, p.body]),
      [[MIN_INSTANCES_MASK, { scaling: { minInstanceCount: 4 } }]],
    );
    assert.equal(cloudRun.revisions, 1, "scaling creates no revision");
    assert.equal(cloudRun.service.latestCreatedRevision, "wa-worker-00001");

    assert.equal((await capacity()).kind, "kept");
    assert.equal(cloudRun.requests.filter((r) => r.method === "PATCH").length, 1, "nothing to change: no call");
  });

  it("in dry-run mode says what it would set and changes nothing", async () => {
    await seedHealthySystem(adminDb(), 60, now);
    assert.deepEqual(await capacity({ dryRun: true }), {
      kind: "would_set",
      from: 1,
      to: 3,
      liveAccounts: 60,
      capped: false,
    });
    assert.equal(cloudRun.service.scaling.minInstanceCount, 1);
    assert.equal(cloudRun.requests.filter((r) => r.method === "PATCH").length, 0);
  });

  it("never asks past the service's ceiling, and says it is capped", async () => {
    await seedHealthySystem(adminDb(), 200, now);
    assert.deepEqual(await capacity({ maxInstances: 3 }), {
      kind: "set",
      from: 1,
      to: 3,
      liveAccounts: 200,
      capped: true,
    });
  });

  it("a refusal of the Admin API is an error that names the service and the status", async () => {
    const scaling = cloudRunScaling({
      apiRoot: cloudRun.apiRoot,
      project: "demo-wa-gateway",
      region: "europe-west1",
      service: "other",
    });
    await assert.rejects(() => scaling.minInstances(), /Cloud Run Admin API GET other: 404/);
  });

  it("sizes by account, spare included, within one and the ceiling", () => {
    const policy = { accountsPerWorker: 50, spare: 1, maxInstances: 10 };
    assert.deepEqual(
      [0, 1, 50, 51, 100, 101, 10_000].map((n) => instancesFor(n, policy)),
      [1, 2, 2, 3, 3, 4, 10],
    );
  });

  it("accounts no worker has held for two leases open accounts_unheld; held again, it resolves", async () => {
    await seedHealthySystem(adminDb(), 5, now);
    // A worker's lease ran out 90 s ago and nobody took the account; another was never held.
    await adminDb()
      .doc(paths.account(accountIdAt(1)))
      .update({ "owner.leaseUntil": Timestamp.fromMillis(now - 90_000) });
    await adminDb()
      .doc(paths.account(accountIdAt(2)))
      .update({ owner: null, status: "pending_qr", createdAt: Timestamp.fromMillis(now - 5 * 60_000) });
    // Just added, or given back 10 s ago (a restart): not yet.
    await adminDb()
      .doc(paths.account(accountIdAt(3)))
      .update({ owner: null, status: "pending_qr", createdAt: Timestamp.fromMillis(now - 10_000) });
    await adminDb()
      .doc(paths.account(accountIdAt(4)))
      .update({ "owner.leaseUntil": Timestamp.fromMillis(now - 10_000) });

    await runWatchdog(watchdogDeps(adminDb()), now, now);
    const open = await adminDb()
      .collection(paths.longrun.incidents)
      .where("type", "==", "accounts_unheld")
      .where("status", "==", "open")
      .get();
    assert.equal(open.size, 1);
    const reason = open.docs[0]!.get("reason") as string;
    assert.match(reason, /^2 accounts have had no worker for over 1m 00s/);
    assert.match(reason, new RegExp(`${accountIdAt(1)}.*${accountIdAt(2)}|${accountIdAt(2)}.*${accountIdAt(1)}`));

    for (const i of [1, 2, 3, 4]) {
      await adminDb()
        .doc(paths.account(accountIdAt(i)))
        .update({
          status: "connected",
          owner: { workerId: "w2", epoch: 2, leaseUntil: Timestamp.fromMillis(now + 3_600_000) },
        });
    }
    await runWatchdog(watchdogDeps(adminDb()), now + 60_000, now + 60_000);
    const after = await adminDb().collection(paths.longrun.incidents).where("type", "==", "accounts_unheld").get();
    assert.deepEqual(
      after.docs.map((d) => d.get("status")),
      ["resolved"],
    );
  });
});
