import assert from "node:assert/strict";
import type { OutboxDocument } from "@wa-gateway/core/documents";
import { seedMemorySession } from "../../support/memoryStores/memorySessionStore";
import { memoryWorkersPerTest } from "../../support/memoryWorker";

const TO = "40712345678@s.whatsapp.net";

/** A connected account's outbox loop over the in-memory stores and the simulated WhatsApp. */
describe("delivery over in-memory stores", function () {
  this.timeout(10_000);
  const { world, network, start } = memoryWorkersPerTest();
  const entryUntil = (what: string, requestId: string, check: (e: OutboxDocument) => boolean) =>
    world.db().until(what, () => {
      const e = world.db().outbox.get(requestId);
      return e && check(e) ? e : undefined;
    });

  beforeEach(async () => {
    seedMemorySession(world.db(), "acc-1", { meJid: "me@s.whatsapp.net" });
    await world.putAccount("acc-1", { status: "connecting" });
    await start();
    await world.db().until("connected", () => world.db().accounts.get("acc-1")?.status === "connected");
  });

  it("sends a queued message once and records it sent", async () => {
    await world.putOutboxEntry("req-1", { toJid: TO });
    const sent = await entryUntil("sent", "req-1", (e) => e.status === "sent");
    assert.equal(sent.attempts, 1);
    assert.deepEqual(
      network()
        .deliveriesTo(TO)
        .map((d) => d.messageId),
      ["3EB0req-1"],
    );
    assert.equal(world.db().message("t1", "req-1")?.status, "sent");
  });

  it("retries a failed send under the same provider message id", async () => {
    network().failNextSends("acc-1", 1);
    await world.putOutboxEntry("req-1", { toJid: TO });
    const sent = await entryUntil("sent", "req-1", (e) => e.status === "sent");
    assert.equal(sent.attempts, 2);
    assert.deepEqual(
      network()
        .deliveriesTo(TO)
        .map((d) => d.messageId),
      ["3EB0req-1"],
    );
    assert.deepEqual(network().recipientTally(), { delivered: 1, duplicates: 0 });
  });

  it("keeps a thread's order: a later message waits for an earlier one's retry", async () => {
    network().failNextSends("acc-1", 1);
    const t = Date.now();
    await world.putOutboxEntry("req-1", {
      toJid: TO,
      createdAt: new Date(t - 2000),
      nextAttemptAt: new Date(t - 2000),
    });
    await world.putOutboxEntry("req-2", {
      toJid: TO,
      createdAt: new Date(t - 1000),
      nextAttemptAt: new Date(t - 1000),
    });
    await entryUntil("the second sent", "req-2", (e) => e.status === "sent");
    assert.equal(world.db().outbox.get("req-1")?.attempts, 2);
    assert.deepEqual(
      network()
        .deliveriesTo(TO)
        .map((d) => d.messageId),
      ["3EB0req-1", "3EB0req-2"],
    );
  });
});
