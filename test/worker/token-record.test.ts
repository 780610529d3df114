import assert from "node:assert/strict";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts } from "@wa-gateway/data";
import { firestoreTokenRecord } from "../../worker/src/transport/cloudApi/tokenRecord";
import { adminDb, resetFirestore } from "../support/emulator";

describe("a Cloud API token's expiry, as the account's worker records it", function () {
  this.timeout(30_000);
  beforeEach(resetFirestore);

  const held = async (owner: { workerId: string; releasedAt?: Date }) =>
    accounts.write(adminDb(), "acc-cloud").set({
      ...newAccountDocument({ createdBy: "t", now: new Date(), status: "connected" }),
      owner: { epoch: 1, leaseUntil: new Date(Date.now() + 60_000), ...owner },
    });
  const recorded = async () => (await accounts.doc(adminDb(), "acc-cloud").get()).data()?.cloudApiToken;

  it("is written by the worker holding the account", async () => {
    await held({ workerId: "w1" });
    const expiresAt = new Date("2026-12-24T00:00:00Z");
    assert.equal(await firestoreTokenRecord(adminDb(), "w1").record("acc-cloud", expiresAt, new Date()), "written");
    assert.equal((await recorded())?.expiresAt?.toMillis(), expiresAt.getTime());
  });

  it("is not written by a worker that no longer holds it, nor after the holder gave it back", async () => {
    await held({ workerId: "w2" });
    assert.equal(await firestoreTokenRecord(adminDb(), "w1").record("acc-cloud", null, new Date()), "not_held");
    await held({ workerId: "w1", releasedAt: new Date() });
    assert.equal(await firestoreTokenRecord(adminDb(), "w1").record("acc-cloud", null, new Date()), "not_held");
    assert.equal(await recorded(), undefined);
    assert.equal(await firestoreTokenRecord(adminDb(), "w1").record("acc-gone", null, new Date()), "missing");
  });
});
