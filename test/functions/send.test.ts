import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { paths, requestIdFor } from "@wa-gateway/core";
import { GatewayError, handleSend, type Caller } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { countDocs, seedAccount, sendPayload } from "../support/fixtures";

const alice: Caller = { uid: "alice", admin: false };
const deps = (maxSends = 100) => ({
  store: firestoreSendStore(adminDb()),
  now: () => new Date(),
  rateLimit: { maxSends, windowSec: 60 },
});

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return err;
  }
  assert.fail("expected a refusal");
}

describe("whatsappProxySend handler against the emulator", () => {
  auditDocumentsAfterEach(adminDb);
  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice", "bob"] });
  });

  it("writes the outbox entry, the queued thread message and the thread in one go", async () => {
    const db = adminDb();
    const result = await handleSend(deps(), alice, sendPayload());
    assert.deepEqual(result, { success: true, requestId: requestIdFor("alice", "client-1"), duplicate: false });

    const outbox = (await db.doc(paths.outboxEntry(result.requestId)).get()).data()!;
    assert.equal(outbox.status, "queued");
    assert.equal(outbox.toJid, "40712345678@s.whatsapp.net");
    assert.equal(outbox.uid, "alice");
    assert.match(outbox.providerMessageId, /^3EB0[0-9A-F]{20}$/);
    const message = (await db.doc(paths.threadMessage("thread-1", result.requestId)).get()).data()!;
    assert.equal(message.status, "queued");
    assert.equal(message.providerMessageId, outbox.providerMessageId);
    const thread = (await db.doc(paths.thread("thread-1")).get()).data()!;
    assert.equal(thread.ownerUid, "alice");
    assert.equal(thread.lastMessagePreview, "hello from the tests");
  });

  it("second send with the same clientMessageId returns duplicate: true", async () => {
    const first = await handleSend(deps(), alice, sendPayload());
    const second = await handleSend(deps(), alice, sendPayload());
    assert.equal(second.duplicate, true);
    assert.equal(second.requestId, first.requestId);
    assert.equal(await countDocs(adminDb(), "outbox"), 1);
    assert.equal(await countDocs(adminDb(), paths.threadMessages("thread-1")), 1);
  });

  it("20 concurrent identical sends produce exactly one outbox document", async function () {
    this.timeout(60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => handleSend(deps(), alice, sendPayload())));
    assert.equal(results.filter((r) => !r.duplicate).length, 1);
    assert.equal(new Set(results.map((r) => r.requestId)).size, 1);
    assert.equal(await countDocs(adminDb(), "outbox"), 1);
    assert.equal(await countDocs(adminDb(), paths.threadMessages("thread-1")), 1);
  });

  it("another user in the same thread is refused, and a co-writer is let in", async () => {
    const db = adminDb();
    await handleSend(deps(), alice, sendPayload());
    const err = await refusal(handleSend(deps(), { uid: "bob", admin: false }, sendPayload({ clientMessageId: "b1" })));
    assert.equal(err.code, "permission-denied");
    await db.doc(paths.thread("thread-1")).update({ coWriterUids: ["bob"] });
    const ok = await handleSend(deps(), { uid: "bob", admin: false }, sendPayload({ clientMessageId: "b1" }));
    assert.equal(ok.duplicate, false);
    assert.equal(await countDocs(db, "outbox"), 2);
  });

  it("a removed account refuses the send and nothing is written", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "removed", memberUids: ["alice"] });
    assert.equal((await refusal(handleSend(deps(), alice, sendPayload()))).code, "failed-precondition");
    assert.equal(await countDocs(adminDb(), "outbox"), 0);
    assert.equal((await adminDb().doc(paths.thread("thread-1")).get()).exists, false);
  });

  it("the per-user rate limit answers resource-exhausted after the limit, across calls", async () => {
    for (let i = 0; i < 3; i++) await handleSend(deps(3), alice, sendPayload({ clientMessageId: `m${i}` }));
    const err = await refusal(handleSend(deps(3), alice, sendPayload({ clientMessageId: "m3" })));
    assert.equal(err.code, "resource-exhausted");
    assert.equal(await countDocs(adminDb(), "outbox"), 3);
  });

  it("a duplicate does not count against the rate limit", async () => {
    await handleSend(deps(1), alice, sendPayload());
    const again = await handleSend(deps(1), alice, sendPayload());
    assert.equal(again.duplicate, true);
  });
});
