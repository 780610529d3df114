import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { GatewayError, handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { adminDb } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";
import { eventually, linkedAccount, simulatedWorldPerTest } from "../support/worker";

const PEER = "40799999999@s.whatsapp.net";
const sendAs = (uid: string, over: Record<string, unknown>, maxSends = 100) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends, windowSec: 60 } },
    { uid, admin: false },
    sendPayload({ toJid: PEER, ...over }),
  );
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail("expected a refusal"),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      return err;
    },
  );
const inboundIn = async (threadId: string) =>
  (await adminDb().collection(paths.threadMessages(threadId)).where("direction", "==", "in").get()).docs.map((d) =>
    d.get("text"),
  );

describe("one thread per account and peer: a reply lands in the thread it answers", function () {
  this.timeout(60_000);
  const { workers, network } = simulatedWorldPerTest({ deliveredReceiptMs: null });

  it("a second member's new thread with the same peer is refused, and the peer's reply lands in the first", async () => {
    await workers.start(network());
    await linkedAccount(network(), "acc-1", ["alice", "bob"]);
    await sendAs("alice", { threadId: "alice-thread", clientMessageId: "a1" });
    const err = await refusal(sendAs("bob", { threadId: "bob-thread", clientMessageId: "b1" }));
    assert.equal(err.code, "failed-precondition");
    assert.match(err.message, /alice-thread/);
    assert.equal((await adminDb().doc(paths.thread("bob-thread")).get()).exists, false);

    network().inbound("acc-1", { messageId: "3EB0REPLY1", fromJid: PEER, text: "thanks alice" });
    await eventually("reply stored", async () => (await inboundIn("alice-thread")).length === 1);
    assert.deepEqual(await inboundIn("alice-thread"), ["thanks alice"]);
  });

  it("a member cannot capture a peer's replies with a thread whose id sorts first", async () => {
    await workers.start(network());
    await linkedAccount(network(), "acc-1", ["alice", "mallory"]);
    network().inbound("acc-1", { messageId: "3EB0FIRST", fromJid: PEER, text: "hello?" });
    const opened = await eventually("peer-opened thread", async () => {
      const snap = await adminDb().collection("threads").where("peerJid", "==", PEER).get();
      return snap.docs[0]?.id;
    });
    const err = await refusal(sendAs("mallory", { threadId: "0000-capture", clientMessageId: "m1" }));
    assert.equal(err.code, "failed-precondition");
    network().inbound("acc-1", { messageId: "3EB0SECOND", fromJid: PEER, text: "anyone there?" });
    await eventually("second message stored", async () => (await inboundIn(opened)).length === 2);
    assert.deepEqual(await inboundIn("0000-capture"), []);
  });

  it("refused sends count against the rate limit, so threads and peers cannot be probed at will", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "connected", memberUids: ["alice", "mallory"] });
    await sendAs("alice", { threadId: "alice-thread", clientMessageId: "a1" });
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const guess = sendAs(
        "mallory",
        { threadId: "alice-thread", toJid: `4071000000${i}`, clientMessageId: `g${i}` },
        3,
      );
      codes.push((await refusal(guess)).code);
    }
    assert.deepEqual(codes, ["invalid-argument", "invalid-argument", "invalid-argument", "resource-exhausted"]);
  });

  it("no member can take the probes' thread", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "connected", memberUids: ["mallory"] });
    const err = await refusal(sendAs("mallory", { threadId: "longrun-probe_acc-1", clientMessageId: "p1" }));
    assert.equal(err.code, "invalid-argument");
    assert.equal((await adminDb().doc(paths.thread("longrun-probe_acc-1")).get()).exists, false);
  });
});
