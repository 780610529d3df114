import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { inboundStore } from "../../worker/src/inbound/inboundStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";

const PEER = "40712345678@s.whatsapp.net";

/** Issue 27: a contact's messages and the members' sends on one busy thread do not conflict each other. */
describe("inbound and outbound on one busy thread", function () {
  this.timeout(60_000);

  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"] });
  });

  it("all are stored at once, and the thread's summary ends on the newest message", async () => {
    const send = (clientMessageId: string) =>
      handleSend(
        { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 100, windowSec: 60 } },
        { uid: "alice", admin: false },
        sendPayload({ clientMessageId, text: `out ${clientMessageId}` }),
      );
    await send("first");
    const store = inboundStore(adminDb());
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => [
        send(`o${i}`).then(() => "sent"),
        store.store("acc-1", { messageId: `IN${i}`, fromJid: PEER, text: `in ${i}`, timestamp: new Date() }),
      ]).flat(),
    );
    assert.equal(results.filter((r) => r === "sent").length, 15);
    assert.equal(results.filter((r) => r === "stored").length, 15, results.join(","));
    const messages = (await adminDb().collection(paths.threadMessages("thread-1")).get()).docs;
    assert.equal(messages.length, 31);
    const newest = Math.max(...messages.map((d) => d.get("createdAt").toMillis()));
    const thread = (await adminDb().doc(paths.thread("thread-1")).get()).data()!;
    assert.equal(thread.lastMessageAt.toMillis(), newest);
  });
});
