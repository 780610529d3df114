import assert from "node:assert/strict";
import { inboundThreadId, paths } from "@wa-gateway/core";
import { GatewayError, handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { inboundStore } from "../../worker/src/inbound/inboundStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";

const X = "40711111111@s.whatsapp.net";
const Y = "40722222222@s.whatsapp.net";

const sendAs = (uid: string, over: Record<string, unknown>) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 100, windowSec: 60 } },
    { uid, admin: false },
    sendPayload(over),
  );
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail("expected a refusal"),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      return err;
    },
  );
const thread = async (threadId: string) => (await adminDb().doc(paths.thread(threadId)).get()).data();
const textsIn = async (threadId: string) =>
  (await adminDb().collection(paths.threadMessages(threadId)).orderBy("createdAt").get()).docs.map((d) =>
    d.get("text"),
  );
const inbound = (accountId: string, fromJid: string, messageId: string, text: string) =>
  inboundStore(adminDb()).store(accountId, { messageId, fromJid, text, timestamp: new Date() });

/**
 * A thread already sitting on the id the gateway will choose for Y's first message to `accountId`,
 * as a client could create it before the namespaces were enforced.
 */
async function legacySquat(squatAccount: string, accountId: string) {
  const at = new Date();
  const id = inboundThreadId(accountId, Y);
  await adminDb().doc(paths.thread(id)).set({
    ownerUid: "mallory",
    coWriterUids: [],
    accountId: squatAccount,
    peerJid: X,
    lastMessageAt: at,
    lastMessagePreview: "to X",
    createdAt: at,
    updatedAt: at,
  });
  await adminDb().doc(paths.threadMessage(id, "m1")).set({ direction: "out", text: "to X", createdAt: at });
  return id;
}

describe("inbound never lands in a thread it does not belong to", function () {
  this.timeout(30_000);

  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-a", { memberUids: ["alice"] });
    await seedAccount(adminDb(), "acc-b", { memberUids: ["mallory"] });
  });

  it("a client cannot create a thread in the gateway's namespace, whatever the account", async () => {
    for (const [accountId, threadId] of [
      ["acc-b", inboundThreadId("acc-a", Y)], // another account's future thread
      ["acc-a", inboundThreadId("acc-a", Y)], // its own account's, with another peer
      ["acc-b", "wa_anything"],
    ] as const) {
      const err = await refusal(
        sendAs(accountId === "acc-a" ? "alice" : "mallory", {
          accountId,
          threadId,
          toJid: X,
          clientMessageId: threadId + accountId,
        }),
      );
      assert.equal(err.code, "invalid-argument");
      assert.match(err.message, /^threadId: ids starting wa_ are chosen by the gateway/);
      assert.equal(await thread(threadId), undefined);
    }
    // A thread a contact opened is answered under its gateway id, as before.
    await inbound("acc-a", Y, "3EB0OPEN", "hi");
    // Another tenant hears the same as before Y wrote: which numbers wrote to acc-a stays unknown.
    const probe = await refusal(
      sendAs("mallory", { accountId: "acc-b", threadId: inboundThreadId("acc-a", Y), toJid: Y, clientMessageId: "p1" }),
    );
    assert.deepEqual(
      [probe.code, probe.message],
      ["invalid-argument", "threadId: ids starting wa_ are chosen by the gateway"],
    );
    await sendAs("alice", {
      accountId: "acc-a",
      threadId: inboundThreadId("acc-a", Y),
      toJid: Y,
      clientMessageId: "r1",
    });
  });

  it("across two accounts: B's squatted thread keeps its account, owner and peer; Y's message opens A's own thread", async () => {
    const squat = await legacySquat("acc-b", "acc-a");
    assert.equal(await inbound("acc-a", Y, "3EB0Y1", "secret for A"), "stored");
    const squatted = (await thread(squat))!;
    assert.deepEqual([squatted.accountId, squatted.ownerUid, squatted.peerJid], ["acc-b", "mallory", X]);
    assert.deepEqual(await textsIn(squat), ["to X"], "nothing of Y's reached B's thread");
    const own = inboundThreadId("acc-a", Y, 1);
    const opened = (await thread(own))!;
    assert.deepEqual([opened.accountId, opened.ownerUid, opened.peerJid], ["acc-a", null, Y]);
    assert.deepEqual(await textsIn(own), ["secret for A"]);
    // Y's next message, and a replay, find the same thread.
    assert.equal(await inbound("acc-a", Y, "3EB0Y2", "again"), "stored");
    assert.equal(await inbound("acc-a", Y, "3EB0Y1", "secret for A"), "duplicate");
    assert.deepEqual(await textsIn(own), ["secret for A", "again"]);
  });

  it("within one account: a member's thread with X on Y's id is not merged into when Y writes", async () => {
    const squat = await legacySquat("acc-a", "acc-a");
    assert.equal(await inbound("acc-a", Y, "3EB0Y1", "from Y"), "stored");
    const squatted = (await thread(squat))!;
    assert.deepEqual([squatted.ownerUid, squatted.peerJid], ["mallory", X]);
    assert.deepEqual(await textsIn(squat), ["to X"]);
    assert.deepEqual(await textsIn(inboundThreadId("acc-a", Y, 1)), ["from Y"]);
  });
});
