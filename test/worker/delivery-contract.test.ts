import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths, requestIdFor } from "@wa-gateway/core";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { adminDb } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";
import { eventually } from "../support/worker";
import { baileysWorld, simulatedWorld, type WhatsAppWorld } from "../support/whatsappWorlds";

const alice = { uid: "alice", admin: false };
const sendAt = (atMs: number, over: Record<string, unknown> = {}) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(atMs), rateLimit: { maxSends: 10_000, windowSec: 60 } },
    alice,
    sendPayload(over),
  );
const send = (over: Record<string, unknown> = {}) => sendAt(Date.now(), over);
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
const sentEntry = (requestId: string) =>
  eventually(`${requestId} sent`, async () =>
    (await outbox(requestId)).status === "sent" ? outbox(requestId) : undefined,
  );
const logged = (logs: Record<string, unknown>[], message: string, fields: Record<string, unknown>) =>
  logs.filter((l) => l.message === message && Object.entries(fields).every(([k, v]) => l[k] === v));

/** The delivery engine's behaviour, the same over every WhatsApp it can run on. */
const WORLDS: [string, () => WhatsAppWorld][] = [
  ["simulated WhatsApp", simulatedWorld],
  ["Baileys against the fake WhatsApp edge", baileysWorld],
];

for (const [name, makeWorld] of WORLDS) {
  describe(`the delivery engine over ${name}`, function () {
    auditDocumentsAfterEach(adminDb);
    this.timeout(60_000);
    const world = makeWorld();

    it("links an account by QR, then delivers a send to the recipient and marks it sent", async () => {
      await world.startWorker();
      await world.link();
      const { requestId } = await send({ text: "hello, exactly" });
      const sent = await sentEntry(requestId);
      assert.equal(sent.attempts, 1);
      assert.ok(sent.sentAt);
      const message = (await adminDb().doc(paths.threadMessage("thread-1", requestId)).get()).data()!;
      assert.equal(message.status, "sent");
      await eventually("received", () => world.received().length > 0);
      assert.deepEqual(
        world.received().map((r) => [r.id, r.text]),
        [[sent.providerMessageId, "hello, exactly"]],
      );
    });

    it("takes over an entry whose lease expired in a crashed worker, and sends it under the same id", async () => {
      await world.startWorker();
      await world.link();
      const { requestId } = await send({ clientMessageId: "crashed" }).catch(() => ({
        requestId: requestIdFor("alice", "crashed"),
      }));
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
      await eventually("received", () => world.received().length > 0);
      assert.ok(
        world.received().every((r) => r.id === entry.providerMessageId),
        "every attempt used the same providerMessageId",
      );
    });

    it("stores an inbound message once however often it is replayed, opening a thread for a new peer", async () => {
      const worker = await world.startWorker();
      await world.link();
      for (let i = 0; i < 5; i++) await world.inbound("40799999999", "3EB0INBOUND1", "hi there");
      // Every replay was handled (stored once, then found a duplicate), not merely not yet seen.
      await eventually(
        "all five handled",
        () => logged(worker.logs, "inbound_message", { messageId: "3EB0INBOUND1" }).length === 5,
      );
      assert.deepEqual(
        logged(worker.logs, "inbound_message", { messageId: "3EB0INBOUND1" }).map((l) => l.result),
        ["stored", "duplicate", "duplicate", "duplicate", "duplicate"],
      );
      const threadId = "wa_acc-1_40799999999";
      const messages = await adminDb().collection(paths.threadMessages(threadId)).get();
      assert.equal(messages.size, 1);
      assert.equal(messages.docs[0]!.get("direction"), "in");
      const thread = (await adminDb().doc(paths.thread(threadId)).get()).data()!;
      assert.equal(thread.ownerUid, null);
      assert.equal(thread.lastMessagePreview, "hi there");
      const markers = await adminDb().collection("inboundDedupe").where("messageId", "==", "3EB0INBOUND1").get();
      assert.deepEqual(
        markers.docs.map((d) => [d.get("accountId"), d.get("threadId"), d.get("sender")]),
        [["acc-1", threadId, "contact"]],
      );
    });

    it("an inbound message from a known peer lands in the existing thread", async () => {
      await world.startWorker();
      await world.link();
      await sentEntry((await send()).requestId);
      await world.inbound(world.recipient, "IN-2", "reply");
      await eventually(
        "reply stored in thread-1",
        async () => (await adminDb().collection(paths.threadMessages("thread-1")).get()).size === 2,
      );
    });

    it("receipts move the message forward, never back", async () => {
      const worker = await world.startWorker();
      await world.link();
      const { requestId } = await send();
      const sent = await sentEntry(requestId);
      await eventually("received", () => world.received().length > 0);
      const status = async () => (await adminDb().doc(paths.threadMessage("thread-1", requestId)).get()).get("status");
      world.receipt(sent.providerMessageId, "read");
      await eventually("read", async () => (await status()) === "read");
      world.receipt(sent.providerMessageId, "delivered");
      await eventually(
        "the late delivered receipt handled",
        () => logged(worker.logs, "receipt", { status: "delivered", result: "unchanged" }).length > 0,
      );
      assert.equal(await status(), "read");
    });

    it("keeps per-thread order", async () => {
      await world.startWorker();
      await world.link();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await send({ clientMessageId: `ordered-${i}`, text: `m${i}` })).requestId);
      await Promise.all(ids.map(sentEntry));
      await eventually("all received", () => world.received().length === 5);
      assert.deepEqual(
        world.received().map((r) => r.text),
        ["m0", "m1", "m2", "m3", "m4"],
      );
    });

    it("keeps per-thread order past the sweep's page: the earlier message goes first whatever the ids", async () => {
      await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
      const t0 = Date.now() - 60_000;
      // More than one sweep page (5 here, 500 by default) of other threads' messages, all created
      // after the two below.
      const fillers = (
        await Promise.all(
          Array.from({ length: 8 }, (_, n) =>
            sendAt(t0 + 10 + n, { clientMessageId: `filler-${n}`, threadId: `filler-${n}`, toJid: `4079${1e6 + n}` }),
          ),
        )
      ).map((r) => r.requestId);
      // The thread's first message gets an id that sorts after every filler, its second one before.
      const idFor = (cmid: string) => requestIdFor("alice", cmid);
      const [lowest, highest] = [fillers.reduce((a, b) => (a < b ? a : b)), fillers.reduce((a, b) => (a > b ? a : b))];
      let first = 0;
      while (idFor(`first-${first}`) <= highest) first++;
      let second = 0;
      while (idFor(`second-${second}`) >= lowest) second++;
      await sendAt(t0, { clientMessageId: `first-${first}`, threadId: "ordered", text: "earlier" });
      await sendAt(t0 + 1, { clientMessageId: `second-${second}`, threadId: "ordered", text: "later" });

      await world.startWorker({ OUTBOX_LISTENER: "off", OUTBOX_SWEEP_PAGE: "5" });
      await world.link();
      await eventually("both received", () => world.received().length === 2);
      assert.deepEqual(
        world.received().map((r) => r.text),
        ["earlier", "later"],
      );
    });

    it("paces an account's sends with its token bucket", async () => {
      await world.startWorker({
        SEND_PACING: "on",
        SEND_PACING_PER_MIN: "300",
        SEND_PACING_BURST: "1",
        SEND_PACING_JITTER_MS: "0",
      });
      await world.link();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await send({ clientMessageId: `paced-${i}` })).requestId);
      await Promise.all(ids.map(sentEntry));
      await eventually("all received", () => world.received().length === 5);
      // 5 per second with a burst of 1: each send after the first waits a refill interval (200 ms).
      // Counted from the second arrival (a first send to a new contact also sets up its session),
      // less 100 ms for how late each arrival may be; unpaced, the four take a fraction of that.
      const times = world.received().map((r) => r.at);
      assert.ok(times.at(-1)! - times[1]! >= 500, `the last four sends took ${times.at(-1)! - times[1]!} ms`);
    });
  });
}
