import assert from "node:assert/strict";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, Timestamp, type Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { outboxStore } from "../../worker/src/outbox/outboxStore";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, emulator, resetFirestore } from "../support/emulator";
import { faultyFirestore } from "../support/faultyFirestore";
import { seedAccount, sendPayload } from "../support/fixtures";
import { eventually, linkedAccount, workersPerTest } from "../support/worker";

const alice = { uid: "alice", admin: false };
const send = (over: Record<string, unknown> = {}) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 10_000, windowSec: 60 } },
    alice,
    sendPayload(over),
  );
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;

describe("worker delivery against the emulator: the simulator's send faults", function () {
  this.timeout(60_000);
  let network: SimulatedWhatsApp;
  const workers = workersPerTest();
  const worker = (env: Record<string, string> = {}, firestore?: Firestore) => workers.start(network, env, firestore);

  beforeEach(async () => {
    await resetFirestore();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  });

  it("a send whose `sent` record fails once is recorded again while the lease holds, not sent twice", async () => {
    const faults = faultyFirestore(
      getFirestore(initializeApp({ projectId: emulator().projectId }, `faulty-${Date.now()}`)),
    );
    await worker({ OUTBOX_LEASE_SEC: "6" }, faults.db);
    await linkedAccount(network);
    faults.failNextCommits(1, (data) => data.status === "sent");
    const { requestId } = await send();
    const entry = await eventually("sent", async () =>
      (await outbox(requestId)).status === "sent" ? outbox(requestId) : undefined,
    );
    assert.equal(faults.injected(), 1, "the first `sent` write failed");
    assert.equal(network.rawSends.length, 1, "one network send");
    assert.equal(entry.attempts, 1);
  });

  it("retries a failed send with backoff under the same providerMessageId, then succeeds", async () => {
    await worker();
    await linkedAccount(network);
    network.failNextSends("acc-1", 2);
    const { requestId } = await send();
    const entry = await eventually("sent after retries", async () =>
      (await outbox(requestId)).status === "sent" ? outbox(requestId) : undefined,
    );
    assert.equal(entry.attempts, 3);
    assert.equal(network.rawSends.length, 1, "only the successful attempt reached the recipient");
  });

  it("gives up after the attempt limit: failed, with lastError, and the message failed", async () => {
    await worker({ SEND_MAX_ATTEMPTS: "3" });
    await linkedAccount(network);
    network.failNextSends("acc-1", 100);
    const { requestId } = await send();
    const entry = await eventually("failed", async () =>
      (await outbox(requestId)).status === "failed" ? outbox(requestId) : undefined,
    );
    assert.equal(entry.attempts, 3);
    assert.equal(entry.lastError, "simulated send failure");
    assert.equal((await adminDb().doc(paths.threadMessage("thread-1", requestId)).get()).get("status"), "failed");
  });

  it("a permanent failure is not retried", async () => {
    await worker();
    await linkedAccount(network);
    network.failNextSends("acc-1", 1, true);
    const { requestId } = await send();
    const entry = await eventually("failed", async () =>
      (await outbox(requestId)).status === "failed" ? outbox(requestId) : undefined,
    );
    assert.equal(entry.attempts, 1);
  });

  it("fencing: a stale worker cannot finish an entry another worker re-claimed", async () => {
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"], status: "disconnected" });
    const { requestId } = await send();
    const retry = { maxAttempts: 5, baseMs: 10, maxMs: 100 };
    const stale = outboxStore(adminDb(), "worker-a", 60, retry);
    const fresh = outboxStore(adminDb(), "worker-b", 60, retry);
    const a = await stale.claim(requestId, "thread-1");
    assert.equal(a.kind, "claimed");
    await adminDb()
      .doc(paths.outboxEntry(requestId))
      .update({ leaseUntil: Timestamp.fromMillis(Date.now() - 1) });
    const b = await fresh.claim(requestId, "thread-1");
    assert.equal(b.kind, "claimed");
    assert.equal(await stale.finish(requestId, a.kind === "claimed" ? a.epoch : -1, "thread-1"), "fenced");
    assert.equal(
      await stale.fail(requestId, a.kind === "claimed" ? a.epoch : -1, "thread-1", { permanent: true, message: "x" }),
      "fenced",
    );
    assert.equal(await fresh.finish(requestId, b.kind === "claimed" ? b.epoch : -1, "thread-1"), "written");
    assert.equal((await outbox(requestId)).claimedBy, "worker-b");
  });

  it("a live lease is not claimable by another worker", async () => {
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"], status: "disconnected" });
    const { requestId } = await send();
    const retry = { maxAttempts: 5, baseMs: 10, maxMs: 100 };
    assert.equal((await outboxStore(adminDb(), "worker-a", 60, retry).claim(requestId, "thread-1")).kind, "claimed");
    const lost = await outboxStore(adminDb(), "worker-b", 60, retry).claim(requestId, "thread-1");
    assert.equal(lost.kind === "held" && lost.why, "leased");
  });

  it("keeps per-thread order even when the first message needs a retry", async () => {
    await worker();
    await linkedAccount(network);
    network.failNextSends("acc-1", 1);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send({ clientMessageId: `ordered-${i}`, text: `m${i}` })).requestId);
    await eventually("all sent", async () => (await Promise.all(ids.map(outbox))).every((e) => e.status === "sent"));
    assert.deepEqual(
      network.deliveriesTo("40712345678@s.whatsapp.net").map((d) => d.text),
      ["m0", "m1", "m2", "m3", "m4"],
    );
  });
});
