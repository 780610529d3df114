import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { adminDb } from "../support/emulator";
import { faultyEmulatorFirestore } from "../support/faultyFirestore";
import { eventually, linkedAccount, simulatedWorldPerTest } from "../support/worker";

const PEER = "40799999999@s.whatsapp.net";
/** The batch that stores an inbound message (it creates the thread message). */
const storingInbound = (data: Record<string, unknown>) => data.direction === "in";
const storedTexts = async () =>
  (await adminDb().collectionGroup("messages").where("direction", "==", "in").get()).docs
    .map((d) => d.get("text"))
    .sort();

describe("inbound: a message WhatsApp handed over is stored, however long Firestore fails", function () {
  this.timeout(60_000);
  const { workers, network } = simulatedWorldPerTest({ deliveredReceiptMs: null });

  it("a message whose store fails is retried until it is stored, once", async () => {
    const faults = faultyEmulatorFirestore();
    await workers.start(network(), {}, faults.db);
    await linkedAccount(network());
    faults.failNextCommits(4, storingInbound);
    network().inbound("acc-1", { messageId: "3EB0IN1", fromJid: PEER, text: "are you there?" });
    await eventually("stored", async () => (await storedTexts()).length === 1);
    assert.equal(faults.injected(), 4);
    assert.deepEqual(await storedTexts(), ["are you there?"]);
    const markers = await adminDb().collection("inboundDedupe").where("messageId", "==", "3EB0IN1").get();
    assert.equal(markers.size, 1);
  });

  it("a full inbound buffer pauses the sockets, and they come back once it drains", async () => {
    const faults = faultyEmulatorFirestore();
    const w = await workers.start(network(), { INBOUND_BUFFER: "2" }, faults.db);
    await linkedAccount(network());
    faults.failNextCommits(1_000_000, storingInbound);
    network().inbound("acc-1", { messageId: "3EB0A", fromJid: PEER, text: "one" });
    network().inbound("acc-1", { messageId: "3EB0B", fromJid: PEER, text: "two" });
    await eventually("socket paused", () => !network().hasSocket("acc-1"));
    assert.ok(w.logs.some((l) => l.message === "inbound_backpressure_on"));
    faults.failNextCommits(0, storingInbound); // Firestore is back
    await eventually("both stored", async () => (await storedTexts()).length === 2);
    await eventually("socket open again", () => network().isOpen("acc-1"));
    assert.deepEqual(await storedTexts(), ["one", "two"]);
  });

  it("stores failing past INBOUND_STUCK_SEC mark the account for the watchdog, and the mark clears once stored", async () => {
    const faults = faultyEmulatorFirestore();
    await workers.start(network(), { INBOUND_STUCK_SEC: "0.5" }, faults.db);
    await linkedAccount(network());
    const stuckSince = async () => (await adminDb().doc(paths.account("acc-1")).get()).get("inboundStuckSince");
    faults.failNextCommits(1_000_000, storingInbound);
    network().inbound("acc-1", { messageId: "3EB0STUCK", fromJid: PEER, text: "hello?" });
    await eventually("marked stuck", async () => (await stuckSince()) ?? undefined);
    faults.failNextCommits(0, storingInbound);
    await eventually("stored", async () => (await storedTexts()).length === 1);
    await eventually("mark cleared", async () => (await stuckSince()) === null);
  });
});
