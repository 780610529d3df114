import assert from "node:assert/strict";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, Timestamp, type Firestore } from "firebase-admin/firestore";
import { handleSend, paths, requestIdFor } from "@wa-gateway/core";
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

describe("worker delivery against the emulator (simulated WhatsApp)", function () {
  this.timeout(60_000);
  let network: SimulatedWhatsApp;
  const workers = workersPerTest();
  const worker = (env: Record<string, string> = {}, firestore?: Firestore) => workers.start(network, env, firestore);

  beforeEach(async () => {
    await resetFirestore();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  });

  it("links an account by QR, then delivers a send to the recipient and marks it sent", async () => {
    await worker();
    await linkedAccount(network);
    const { requestId } = await send();
    const sent = await eventually("outbox entry sent", async () =>
      (await outbox(requestId)).status === "sent" ? outbox(requestId) : undefined,
    );
    assert.equal(sent.attempts, 1);
    assert.ok(sent.sentAt);
    const message = (await adminDb().doc(paths.threadMessage("thread-1", requestId)).get()).data()!;
    assert.equal(message.status, "sent");
    assert.deepEqual(
      network.deliveriesTo("40712345678@s.whatsapp.net").map((d) => d.messageId),
      [sent.providerMessageId],
    );
    assert.equal(network.recipientTally().duplicates, 0);
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

  it("takes over an entry whose lease expired in a crashed worker, and sends it once", async () => {
    await worker();
    await linkedAccount(network);
    const { requestId } = await handleSend(
      { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 100, windowSec: 60 } },
      alice,
      sendPayload({ clientMessageId: "crashed" }),
    ).catch(() => ({ requestId: requestIdFor("alice", "crashed") }));
    // Whatever the worker did, rewind the entry to a crashed worker's expired lease.
    await adminDb()
      .doc(paths.outboxEntry(requestId))
      .update({
        status: "processing",
        claimedBy: "dead-worker",
        leaseUntil: Timestamp.fromMillis(Date.now() - 1000),
        leaseEpoch: 7,
        sentAt: null,
      });
    const entry = await eventually("re-sent after takeover", async () => {
      const e = await outbox(requestId);
      return e.status === "sent" && e.leaseEpoch > 7 ? e : undefined;
    });
    assert.notEqual(entry.claimedBy, "dead-worker");
    const ids = network.rawSends.map((d) => d.messageId);
    assert.ok(
      ids.every((id) => id === entry.providerMessageId),
      "every attempt used the same providerMessageId",
    );
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
    assert.equal(await fresh.finish(requestId, b.kind === "claimed" ? b.epoch : -1, "thread-1"), "finished");
    assert.equal((await outbox(requestId)).claimedBy, "worker-b");
  });

  it("a live lease is not claimable by another worker", async () => {
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"], status: "disconnected" });
    const { requestId } = await send();
    const retry = { maxAttempts: 5, baseMs: 10, maxMs: 100 };
    assert.equal((await outboxStore(adminDb(), "worker-a", 60, retry).claim(requestId, "thread-1")).kind, "claimed");
    const lost = await outboxStore(adminDb(), "worker-b", 60, retry).claim(requestId, "thread-1");
    assert.equal(lost.kind === "lost" && lost.why, "leased");
  });

  it("stores an inbound message once however often it is replayed, opening a thread for a new peer", async () => {
    await worker();
    await linkedAccount(network);
    const message = { messageId: "3EB0INBOUND1", fromJid: "40799999999@s.whatsapp.net", text: "hi there" };
    for (let i = 0; i < 5; i++) network.inbound("acc-1", message);
    const threadId = "wa_acc-1_40799999999";
    await eventually(
      "inbound stored",
      async () => (await adminDb().collection(paths.threadMessages(threadId)).get()).size === 1,
    );
    await new Promise((r) => setTimeout(r, 500));
    const messages = await adminDb().collection(paths.threadMessages(threadId)).get();
    assert.equal(messages.size, 1);
    assert.equal(messages.docs[0]!.get("direction"), "in");
    const thread = (await adminDb().doc(paths.thread(threadId)).get()).data()!;
    assert.equal(thread.ownerUid, null);
    assert.equal(thread.lastMessagePreview, "hi there");
    assert.equal((await adminDb().doc(paths.inboundDedupe("acc-1", "3EB0INBOUND1")).get()).exists, true);
  });

  it("an inbound message from a known peer lands in the existing thread", async () => {
    await worker();
    await linkedAccount(network);
    await send();
    network.inbound("acc-1", { messageId: "IN-2", fromJid: "40712345678@s.whatsapp.net", text: "reply" });
    await eventually(
      "reply stored in thread-1",
      async () => (await adminDb().collection(paths.threadMessages("thread-1")).get()).size === 2,
    );
  });

  it("receipts move the message forward, never back", async () => {
    await worker();
    await linkedAccount(network);
    const { requestId } = await send();
    const sent = await eventually("sent", async () =>
      (await outbox(requestId)).status === "sent" ? outbox(requestId) : undefined,
    );
    const status = async () => (await adminDb().doc(paths.threadMessage("thread-1", requestId)).get()).get("status");
    network.receipt("acc-1", sent.providerMessageId, "read");
    await eventually("read", async () => (await status()) === "read");
    network.receipt("acc-1", sent.providerMessageId, "delivered");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await status(), "read");
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

  it("keeps per-thread order past the sweep's page: the earlier message goes first whatever the ids", async function () {
    this.timeout(60_000);
    const sendAt = (atMs: number, over: Record<string, unknown>) =>
      handleSend(
        {
          store: firestoreSendStore(adminDb()),
          now: () => new Date(atMs),
          rateLimit: { maxSends: 10_000, windowSec: 60 },
        },
        alice,
        sendPayload(over),
      );
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const t0 = Date.now() - 60_000;
    // More than one sweep page (5 here, 500 by default) of other threads' messages, all created
    // after the two below.
    const fillers: string[] = [];
    for (let i = 0; i < 8; i += 8) {
      const batch = Array.from({ length: 8 }, (_, k) => i + k);
      const sent = await Promise.all(
        batch.map((n) =>
          sendAt(t0 + 10 + n, { clientMessageId: `filler-${n}`, threadId: `filler-${n}`, toJid: `4079${1e6 + n}` }),
        ),
      );
      fillers.push(...sent.map((r) => r.requestId));
    }
    // The thread's first message gets an id that sorts after every filler, its second one before.
    const idFor = (cmid: string) => requestIdFor("alice", cmid);
    const [lowest, highest] = [fillers.reduce((a, b) => (a < b ? a : b)), fillers.reduce((a, b) => (a > b ? a : b))];
    let first = 0;
    while (idFor(`first-${first}`) <= highest) first++;
    let second = 0;
    while (idFor(`second-${second}`) >= lowest) second++;
    await sendAt(t0, { clientMessageId: `first-${first}`, threadId: "ordered", text: "earlier" });
    await sendAt(t0 + 1, { clientMessageId: `second-${second}`, threadId: "ordered", text: "later" });

    await worker({ OUTBOX_LISTENER: "off", OUTBOX_SWEEP_PAGE: "5" });
    await linkedAccount(network);
    await eventually("both sent", async () => network.deliveriesTo("40712345678@s.whatsapp.net").length === 2);
    assert.deepEqual(
      network.deliveriesTo("40712345678@s.whatsapp.net").map((d) => d.text),
      ["earlier", "later"],
    );
  });

  it("paces an account's sends with its token bucket", async () => {
    await worker({ SEND_PACING: "on", SEND_PACING_PER_MIN: "600", SEND_PACING_BURST: "1", SEND_PACING_JITTER_MS: "0" });
    await linkedAccount(network);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send({ clientMessageId: `paced-${i}` })).requestId);
    await eventually("all sent", async () => (await Promise.all(ids.map(outbox))).every((e) => e.status === "sent"));
    // 10 per second with a burst of 1: five sends need at least four refill intervals (400 ms).
    const times = network.rawSends.map((d) => d.at);
    assert.equal(times.length, 5);
    assert.ok(times.at(-1)! - times[0]! >= 390, `five sends took ${times.at(-1)! - times[0]!} ms`);
  });
});
