import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { adminDb, emulator, resetFirestore } from "../support/emulator";

describe("Firestore emulator harness", () => {
  beforeEach(resetFirestore);

  it("runs on 127.0.0.1 under a demo- project", () => {
    const { host, projectId } = emulator();
    assert.match(host, /^127\.0\.0\.1:\d+$/);
    assert.match(projectId, /^demo-/);
  });

  it("stores a document and reads it back", async () => {
    const db = adminDb();
    await db.doc(paths.account("acc-1")).set({ status: "pending_qr", memberUids: ["u1"] });
    const snap = await db.doc(paths.account("acc-1")).get();
    assert.deepEqual(snap.data(), { status: "pending_qr", memberUids: ["u1"] });
  });

  it("reset deletes every document", async () => {
    const db = adminDb();
    await db.doc(paths.longrun.heartbeat("2025-12-30T08-00-00")).create({ tsIso: "2025-12-30T08:00:00Z" });
    await resetFirestore();
    assert.equal((await db.doc(paths.longrun.heartbeat("2025-12-30T08-00-00")).get()).exists, false);
  });

  it("detects a second create() of the same heartbeat bucket instead of overwriting", async () => {
    const ref = adminDb().doc(paths.longrun.heartbeat("2025-12-30T08-01-00"));
    await ref.create({ instanceId: "a" });
    await assert.rejects(ref.create({ instanceId: "b" }), (err: { code?: number }) => err.code === 6);
    assert.equal((await ref.get()).get("instanceId"), "a");
  });
});
