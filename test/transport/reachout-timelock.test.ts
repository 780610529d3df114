import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { runWatchdog } from "@wa-gateway/core/longrun";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { watchdogDeps } from "../../scripts/lib/watchdogFixtures";
import { adminDb, resetFirestore } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";
import { seedAccount, sendPayload } from "../support/fixtures";
import { scanThroughRefresh } from "../support/whatsappWorlds";
import { eventually, workersPerTest } from "../support/worker";

const ACCOUNT_PHONE = "4915100000099";
const HOUR = 3_600_000;
const account = async () => (await adminDb().doc(paths.account("acc-1")).get()).data()!;
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
const entryUntil = (what: string, requestId: string, check: (e: FirebaseFirestore.DocumentData) => boolean) =>
  eventually(what, async () => {
    const entry = await outbox(requestId);
    return check(entry) ? entry : undefined;
  });

/**
 * WhatsApp's reach-out timelock (error 463) as today's WhatsApp applies it, on the real Baileys
 * socket against the fake edge: new chats are refused, existing conversations go on.
 */
describe("a reach-out timelock on Baileys against the fake edge", function () {
  this.timeout(60_000);
  const workers = workersPerTest();
  let edge: FakeWhatsApp;
  let alice: FakeContact;
  let bob: FakeContact;
  let carol: FakeContact;

  beforeEach(async () => {
    await resetFirestore();
    edge = await FakeWhatsApp.start();
    [alice, bob, carol] = (await Promise.all(
      ["40711111111", "40722222222", "40733333333"].map((pn) => edge.addContact(pn)),
    )) as [FakeContact, FakeContact, FakeContact];
    edge.setNewChatQuota(ACCOUNT_PHONE, { total: 250, used: 12, cycleEndsMs: Date.parse("2027-01-01T00:00:00Z") });
    await workers.start(null, { WA_WEBSOCKET_URL: edge.url });
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const qr = await eventually("a QR on the account document", async () => (await account()).qr as string);
    await scanThroughRefresh(edge, qr, ACCOUNT_PHONE);
    await eventually("connected", async () => (await account()).status === "connected");
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(edge.log.join("\n"));
    await edge.close();
  });

  const send = (clientMessageId: string, over: Record<string, unknown>) =>
    handleSend(
      { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 10_000, windowSec: 60 } },
      { uid: "alice", admin: false },
      sendPayload({ clientMessageId, text: clientMessageId, ...over }),
    );
  /** A new thread to a contact nobody wrote with: a first message. */
  const firstMessage = (clientMessageId: string, to: FakeContact) =>
    send(clientMessageId, { threadId: `t-${to.pn}`, toJid: `+${to.pn}@s.whatsapp.net` });
  /** `from` writes to the account; the answer goes in the thread that opened. */
  async function replyTo(from: FakeContact, clientMessageId: string) {
    const id = await edge.sendFromContact(from, ACCOUNT_PHONE, "hello?", { addressing: "pn" });
    const [stored] = await eventually("the contact's message stored", async () => {
      const { docs } = await adminDb().collectionGroup("messages").where("providerMessageId", "==", id).get();
      return docs.length > 0 ? docs : undefined;
    });
    return send(clientMessageId, { threadId: stored!.ref.parent.parent!.id, toJid: `${from.pn}@s.whatsapp.net` });
  }

  it("reads the lock WhatsApp pushes: first messages wait for its end, replies go, and its lifting lets them go", async () => {
    const untilMs = Date.now() + 2 * HOUR;
    edge.timelock(ACCOUNT_PHONE, untilMs);
    // rc14 reads the pushed type as DEFAULT (it does not know it); the worker asks, and keeps WhatsApp's.
    const lock = await eventually("the lock on the account document, with WhatsApp's type", async () => {
      const recorded = (await account()).reachoutLock;
      return recorded?.enforcement === "RESTRICT_ALL_COMPANIONS" ? recorded : undefined;
    });
    assert.equal(lock.until.toMillis(), Math.floor(untilMs / 1000) * 1000);
    const quota = (await account()).newChatQuota;
    assert.deepEqual(
      [quota.used, quota.total, quota.cycleEndsAt.toDate().toISOString()],
      [12, 250, "2027-01-01T00:00:00.000Z"],
    );

    const first = await firstMessage("to-bob", bob);
    const reply = await replyTo(alice, "to-alice");
    await entryUntil("the reply sent", reply.requestId, (e) => e.status === "sent");
    await alice.nextMessage((m) => m.text === "to-alice");
    const held = await entryUntil("the first message held", first.requestId, (e) => e.heldReason !== null);
    assert.deepEqual(
      [held.status, held.heldReason, held.nextAttemptAt.toMillis()],
      ["queued", "reachout_timelock", lock.until.toMillis()],
    );
    assert.equal(edge.refused463(ACCOUNT_PHONE), 0, "nothing was tried against the lock");

    edge.liftTimelock(ACCOUNT_PHONE);
    await entryUntil("sent once lifted", first.requestId, (e) => e.status === "sent");
    await bob.nextMessage((m) => m.text === "to-bob");
    assert.equal((await account()).reachoutLock, null);
  });

  it("after a 463 reads the lock: the refused message fails once, the next new contact waits, and the incident runs until the lock's end", async () => {
    const untilMs = Date.now() + 3 * HOUR;
    // Locked without a word to the socket (the push lost): the first new chat meets a 463.
    edge.timelock(ACCOUNT_PHONE, untilMs, { enforcement: "BIZ_QUALITY", notify: false });

    const refused = await firstMessage("to-bob", bob);
    const failed = await entryUntil("refused with 463", refused.requestId, (e) => e.status === "failed");
    assert.match(failed.lastError, /463/);
    assert.equal(failed.failureKind, "permanent");
    const lock = await eventually("the lock read after the 463", async () => (await account()).reachoutLock);
    assert.equal(lock.enforcement, "BIZ_QUALITY");

    const next = await firstMessage("to-carol", carol);
    await entryUntil("the next first message held", next.requestId, (e) => e.heldReason === "reachout_timelock");
    assert.equal(edge.refused463(ACCOUNT_PHONE), 1, "one refusal, no retry storm");

    const nowMs = Date.now();
    await runWatchdog(watchdogDeps(adminDb()), nowMs, nowMs);
    const incident = await eventually("the incident open", async () => {
      const snap = await adminDb()
        .collection(paths.longrun.incidents)
        .where("type", "==", "reachout_timelock")
        .where("status", "==", "open")
        .get();
      return snap.docs[0]?.data();
    });
    assert.match(incident.reason, new RegExp(new Date(Math.floor(untilMs / 1000) * 1000).toISOString()));
    await runWatchdog(watchdogDeps(adminDb()), untilMs + 60_000, untilMs + 60_000);
    const after = await adminDb().collection(paths.longrun.incidents).where("type", "==", "reachout_timelock").get();
    assert.deepEqual(
      after.docs.map((d) => d.get("status")),
      ["resolved"],
    );
  });
});
