import assert from "node:assert/strict";
import { encodeIdSegment, inboundThreadId } from "@wa-gateway/core";
import type { StoreWorld } from "./storeWorld";

const PEER = "40711111111@s.whatsapp.net";
const message = (messageId: string, text = `text ${messageId}`) => ({
  messageId,
  fromJid: PEER,
  text,
  timestamp: new Date(),
});

/** The inbound store's exactly-once storage and receipts, whichever database is under it. */
export function inboundContract(world: StoreWorld): void {
  describe("the inbound store", () => {
    const threadId = inboundThreadId("acc-1", PEER);

    it("stores a message from a new peer in a thread nobody owns yet", async () => {
      assert.equal(await world.inbound().store("acc-1", message("M1", "hi there")), "stored");
      const thread = (await world.thread(threadId))!;
      assert.deepEqual([thread.ownerUid, thread.peerJid, thread.lastMessagePreview], [null, PEER, "hi there"]);
      const stored = (await world.threadMessage(threadId, `in_${encodeIdSegment("M1")}`))!;
      assert.deepEqual([stored.direction, stored.text, stored.status], ["in", "hi there", "delivered"]);
    });

    it("answers duplicate to the same message again, and stores it once", async () => {
      await world.inbound().store("acc-1", message("M1"));
      assert.equal(await world.inbound().store("acc-1", message("M1", "changed")), "duplicate");
      assert.equal((await world.threadMessage(threadId, `in_${encodeIdSegment("M1")}`))!.text, "text M1");
    });

    it("stores a message handed to two workers at once exactly once", async () => {
      const results = await Promise.all([
        world.inbound().store("acc-1", message("M1")),
        world.inbound().store("acc-1", message("M1")),
      ]);
      assert.deepEqual(results.sort(), ["duplicate", "stored"]);
    });

    it("dedupes per account: the same message id on two accounts is stored twice", async () => {
      await world.inbound().store("acc-1", message("M1"));
      assert.equal(await world.inbound().store("acc-2", message("M1")), "stored");
    });

    it("never writes a thread of another account: the peer's thread takes the fallback id", async () => {
      await world.putThread(threadId, { accountId: "acc-2", peerJid: "40722222222@s.whatsapp.net", ownerUid: "x" });
      assert.equal(await world.inbound().store("acc-1", message("M1", "hi there")), "stored");
      const squatted = (await world.thread(threadId))!;
      assert.deepEqual(
        [squatted.accountId, squatted.ownerUid, squatted.lastMessagePreview],
        ["acc-2", "x", "from a client"],
      );
      const own = (await world.thread(inboundThreadId("acc-1", PEER, 1)))!;
      assert.deepEqual([own.accountId, own.peerJid, own.ownerUid], ["acc-1", PEER, null]);
    });

    it("puts the peer's next message in the same thread", async () => {
      await world.inbound().store("acc-1", message("M1"));
      await world.inbound().store("acc-1", message("M2", "again"));
      assert.equal((await world.thread(threadId))!.lastMessagePreview, "again");
      assert.ok(await world.threadMessage(threadId, `in_${encodeIdSegment("M2")}`));
    });

    it("moves an outgoing message forward on a receipt, never backward", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date() });
      const inbound = world.inbound();
      assert.equal(await inbound.receipt("acc-1", { messageId: "3EB0req-1", status: "read" }), "advanced");
      assert.equal(await inbound.receipt("acc-1", { messageId: "3EB0req-1", status: "delivered" }), "unchanged");
      assert.equal((await world.threadMessage("t1", "req-1"))!.status, "read");
    });

    it("answers unknown to a receipt for no message of this account", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date() });
      assert.equal(await world.inbound().receipt("acc-1", { messageId: "3EB0nothing", status: "read" }), "unknown");
      assert.equal(await world.inbound().receipt("acc-2", { messageId: "3EB0req-1", status: "read" }), "unknown");
    });

    it("fails the message and its entry on an error receipt, once", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date() });
      const refused = { messageId: "3EB0req-1", status: "failed" as const, code: 463 };
      assert.equal(await world.inbound().receipt("acc-1", refused), "advanced");
      const entry = (await world.outboxEntry("req-1"))!;
      assert.deepEqual(
        [entry.status, entry.lastError, entry.failureKind],
        ["failed", "WhatsApp refused the message (code 463)", "permanent"],
        "refused by WhatsApp: permanent, so a requeue leaves it unless told",
      );
      assert.equal((await world.threadMessage("t1", "req-1"))!.status, "failed");
      assert.equal(await world.inbound().receipt("acc-1", refused), "unchanged");
    });
  });
}
