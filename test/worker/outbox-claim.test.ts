import assert from "node:assert/strict";
import type { Firestore, WriteBatch } from "firebase-admin/firestore";
import { DEFAULT_RETRY_POLICY } from "@wa-gateway/core/outbox";
import { outbox } from "@wa-gateway/data";
import { outboxStore } from "../../worker/src/outbox/outboxStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedOutboxEntry } from "../support/longrunFixtures";

/**
 * Firestore as the network sometimes answers it: the next batch commits, and its answer is lost
 * (gRPC UNKNOWN, as the emulator answered a claim in CI; production can answer a deadline).
 */
function answerLostOnce(db: Firestore): Firestore {
  let lose = true;
  const batch = (): WriteBatch => {
    const real = db.batch();
    return new Proxy(real, {
      get(target, prop) {
        if (prop === "commit")
          return async () => {
            const written = await target.commit();
            if (!lose) return written;
            lose = false;
            throw Object.assign(new Error("2 UNKNOWN: the commit's answer was lost"), { code: 2 });
          };
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "batch") return batch;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("an outbox claim whose commit answer is lost", function () {
  this.timeout(20_000);
  beforeEach(resetFirestore);

  it("is claimed again at once by the same worker, not after its own 60 s lease, and the lost attempt is not counted", async () => {
    await seedOutboxEntry(adminDb(), "req-1", { status: "queued", createdAt: new Date(Date.now() - 1000) });
    const store = outboxStore(answerLostOnce(adminDb()), "w1", 60, DEFAULT_RETRY_POLICY);
    await assert.rejects(store.claim("req-1", "t1"), /UNKNOWN/);
    const landed = (await outbox.doc(adminDb(), "req-1").get()).data();
    assert.deepEqual([landed?.status, landed?.claimedBy, landed?.leaseEpoch], ["processing", "w1", 1]);

    const again = await store.claim("req-1", "t1");
    assert.equal(again.kind, "claimed", JSON.stringify(again));
    if (again.kind !== "claimed") return;
    assert.deepEqual([again.epoch, again.attempt, again.takeover], [2, 1, false]);
  });

  it("another worker still waits out that lease", async () => {
    await seedOutboxEntry(adminDb(), "req-1", { status: "queued", createdAt: new Date(Date.now() - 1000) });
    await assert.rejects(outboxStore(answerLostOnce(adminDb()), "w1", 60, DEFAULT_RETRY_POLICY).claim("req-1", "t1"));
    const other = await outboxStore(adminDb(), "w2", 60, DEFAULT_RETRY_POLICY).claim("req-1", "t1");
    assert.deepEqual([other.kind, other.kind === "held" ? other.why : null], ["held", "leased"]);
  });
});
