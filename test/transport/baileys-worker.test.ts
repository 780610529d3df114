import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paths } from "@wa-gateway/core";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";
import { loadBaileys, type Baileys } from "../../worker/src/transport/baileys/module";
import { countDocs, seedAccount, sendPayload } from "../support/fixtures";
import { eventually, workersPerTest } from "../support/worker";
import { scanThroughRefresh } from "../support/whatsappWorlds";
import { exited, spawnWorker } from "../support/workerProcess";

const ACCOUNT_PHONE = "4915100000099";
/** Inbound messages in a burst test. */
const BURST = 30;
const COMMIT_FAULTS = join(__dirname, "..", "support", "commitFaults.ts");
const account = async () => (await adminDb().doc(paths.account("acc-1")).get()).data()!;
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
/** The outbox entry once the worker has marked it sent. */
const sentEntry = (requestId: string) =>
  eventually(`${requestId} sent`, async () =>
    (await outbox(requestId)).status === "sent" ? outbox(requestId) : undefined,
  );
const message = async (threadId: string, id: string) =>
  (await adminDb().doc(paths.threadMessage(threadId, id)).get()).data();
/** Every thread message stored under WhatsApp id `id`. */
const storedUnder = async (id: string) =>
  (await adminDb().collectionGroup("messages").where("providerMessageId", "==", id).get()).docs;

/**
 * The worker on the real Baileys socket (WA_TRANSPORT=baileys, its default), against the fake
 * WhatsApp edge on 127.0.0.1: linking, sending, receipts, inbound, restarts and disconnects.
 */
describe("the worker on Baileys against a fake WhatsApp edge", function () {
  this.timeout(60_000);
  const workers = workersPerTest();
  let edge: FakeWhatsApp;
  let alice: FakeContact;
  let B: Baileys;
  before(async () => {
    B = await loadBaileys();
  });

  const startWorker = () => workers.start(null, { WA_WEBSOCKET_URL: edge.url, WA_QR_REFRESHES: "3" });
  /** A worker process of its own on Baileys, to be killed or stopped by the test. */
  const baileysProcess = (workerId: string, env: Record<string, string> = {}, preload: string[] = []) =>
    spawnWorker(
      workerId,
      {
        WA_WEBSOCKET_URL: edge.url,
        WA_TRANSPORT: "baileys",
        SEND_PACING: "off",
        NEW_CONTACT_BUDGET: "off",
        HEARTBEATS: "off",
        ...env,
      },
      preload,
    );
  /** Each message stored, exactly once, with its text. */
  async function storedOnceEach(ids: string[], textOf: (i: number) => string, timeoutMs?: number) {
    for (const [i, id] of ids.entries()) {
      const stored = await eventually(
        `message ${id} stored`,
        async () => {
          const docs = await storedUnder(id);
          return docs.length > 0 ? docs : undefined;
        },
        timeoutMs,
      );
      assert.deepEqual(
        stored.map((d) => d.get("text")),
        [textOf(i)],
        `message ${id} stored exactly once`,
      );
    }
  }
  /** A new worker, which takes the killed one's account once its lease runs out, and connects. */
  const takeOver = async () => {
    await startWorker();
    await eventually(
      "taken over once the dead lease ran out, and connected",
      async () => {
        const a = await account();
        return a.status === "connected" && a.owner?.workerId !== "baileys-killed";
      },
      30_000,
    );
  };
  const send = (clientMessageId: string, text: string, to = alice) =>
    handleSend(
      { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 10_000, windowSec: 60 } },
      { uid: "alice", admin: false },
      sendPayload({ clientMessageId, text, toJid: `+${to.pn}@s.whatsapp.net` }),
    );

  /** Links acc-1 the way a person does: the client shows the QR from the account document, the phone scans it. */
  /** A contact sends BURST messages; `signal` goes to `child` once WhatsApp has a third of them receipted. */
  async function burstUntil(child: ChildProcess, signal: NodeJS.Signals, idPrefix: string) {
    const ids = Array.from({ length: BURST }, (_, i) => `${idPrefix}${String(i).padStart(7, "0")}`);
    let receipted = 0;
    const signalAtReceipt = (id: string) => {
      if (ids.includes(id) && ++receipted === BURST / 3) child.kill(signal);
    };
    try {
      await linkByQr();
      edge.receipts.on("receipt", signalAtReceipt);
      for (const [i, id] of ids.entries()) await edge.sendFromContact(alice, ACCOUNT_PHONE, `burst ${i}`, { id });
      await exited(child);
    } finally {
      edge.receipts.off("receipt", signalAtReceipt);
      child.kill("SIGKILL");
    }
    return { ids, receipted };
  }

  async function linkByQr(): Promise<void> {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const qr = await eventually("a QR on the account document", async () => (await account()).qr as string);
    await scanThroughRefresh(edge, qr, ACCOUNT_PHONE);
    await eventually("connected after the 515 restart", async () => (await account()).status === "connected");
  }

  /** A QR's fields: ref, noise key, identity key, ADV secret, platform. */
  const fieldsOf = (qr: string) => qr.slice(qr.indexOf("#") + 1).split(",");
  const storedCreds = async () =>
    JSON.parse((await adminDb().doc(paths.waSession("acc-1")).get()).get("creds") as string) as {
      advSecretKey: string;
    };

  beforeEach(async () => {
    await resetFirestore();
    edge = await FakeWhatsApp.start();
    alice = await edge.addContact("4915100000001", "Alice");
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(edge.log.join("\n"));
    await edge.close();
  });

  it("links by QR, and a send through the callable reaches the contact as the exact text under the outbox's id", async () => {
    const worker = await startWorker();
    await linkByQr();
    assert.equal((await account()).waJid, `${ACCOUNT_PHONE}@s.whatsapp.net`);
    assert.equal((await account()).qr, null);

    const { requestId } = await send("m-1", "Grüße, Alice ✓");
    const entry = await sentEntry(requestId);
    const received = await alice.nextMessage((m) => m.id === entry.providerMessageId);
    assert.equal(received.text, "Grüße, Alice ✓");
    assert.equal(alice.received.length, 1, "sent once");
    // The 515 restart after pairing and the LID session refresh are the normal path: nothing to act on.
    // (npm run check:baileys -- --candidate adds one warning on purpose: which Baileys it runs.)
    const loud = worker.logs.filter(
      (l) => (l.severity === "ERROR" || l.severity === "WARNING") && l.message !== "baileys_candidate_loaded",
    );
    assert.deepEqual(
      loud.map((l) => l.message),
      [],
      "a healthy link and send log no error or warning",
    );
  });

  it("links by pairing code when the account was added with a phone number", async () => {
    await startWorker();
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"], phoneNumber: ACCOUNT_PHONE });
    const code = await eventually("a pairing code on the account document", async () => {
      const a = await account();
      return a.status === "pending_qr" ? ((a.pairingCode as string | null) ?? undefined) : undefined;
    });
    assert.match(code, /^[A-Z0-9]{8}$/);
    assert.equal((await account()).qr, null, "a pairing-code account shows no QR");
    await edge.enterPairingCode(code, ACCOUNT_PHONE);
    await eventually("connected after the 515 restart", async () => (await account()).status === "connected");
    const a = await account();
    assert.deepEqual([a.waJid, a.pairingCode], [`${ACCOUNT_PHONE}@s.whatsapp.net`, null]);
    const { requestId } = await send("m-1", "linked by code");
    const entry = await sentEntry(requestId);
    assert.equal((await alice.nextMessage((m) => m.id === entry.providerMessageId)).text, "linked by code");
  });

  it("the first scan is answered with companion_reg_refresh: the retired-secret QR is refused, the re-rendered one links", async () => {
    await startWorker();
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const first = await eventually("a QR on the account document", async () => (await account()).qr as string);
    assert.equal(edge.scanQr(first, ACCOUNT_PHONE), "refreshed");
    const second = await eventually(
      "the account's QR changed within a second of the notification",
      async () => {
        const qr = (await account()).qr as string | null;
        return qr && qr !== first ? qr : undefined;
      },
      1_000,
    );
    const [ref1, noise1, identity1, adv1, platform1] = fieldsOf(first);
    const [ref2, noise2, identity2, adv2, platform2] = fieldsOf(second);
    assert.deepEqual([ref2, noise2, identity2, platform2], [ref1, noise1, identity1, platform1], "the current ref");
    assert.notEqual(adv2, adv1, "a new ADV secret");
    assert.equal(Buffer.from(adv2!, "base64").length, 32);
    assert.equal((await storedCreds()).advSecretKey, adv2, "the new secret is in the stored creds before pair-success");
    assert.ok(edge.notificationAcks.size > 0, "the notification was acknowledged");
    assert.equal(edge.scanQr(first, ACCOUNT_PHONE), "refused", "the QR carrying the retired secret");
    assert.equal(edge.scanQr(second, ACCOUNT_PHONE), "linked");
    await eventually("connected after the 515 restart", async () => (await account()).status === "connected");
    assert.equal((await account()).waJid, `${ACCOUNT_PHONE}@s.whatsapp.net`);
  });

  it("a QR issued after the refresh (the next ref) carries the new secret and links", async () => {
    await workers.start(null, { WA_WEBSOCKET_URL: edge.url, WA_QR_TIMEOUT_MS: "1500" });
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const first = await eventually("a QR on the account document", async () => (await account()).qr as string);
    assert.equal(edge.scanQr(first, ACCOUNT_PHONE), "refreshed");
    const refreshed = await eventually("the QR re-rendered", async () => {
      const qr = (await account()).qr as string | null;
      return qr && fieldsOf(qr)[3] !== fieldsOf(first)[3] ? qr : undefined;
    });
    const next = await eventually("the next ref's QR", async () => {
      const qr = (await account()).qr as string | null;
      return qr && fieldsOf(qr)[0] !== fieldsOf(first)[0] ? qr : undefined;
    });
    assert.equal(fieldsOf(next)[3], fieldsOf(refreshed)[3], "every later QR advertises the new secret");
    assert.equal(edge.scanQr(next, ACCOUNT_PHONE), "linked");
    await eventually("connected after the 515 restart", async () => (await account()).status === "connected");
  });

  it("links by pairing code when companion_reg_refresh arrives mid-flow (no rotation then)", async () => {
    await startWorker();
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"], phoneNumber: ACCOUNT_PHONE });
    const code = await eventually("a pairing code on the account document", async () => {
      const a = await account();
      return a.status === "pending_qr" ? ((a.pairingCode as string | null) ?? undefined) : undefined;
    });
    await edge.enterPairingCode(code, ACCOUNT_PHONE, { refreshMidFlow: true });
    await eventually("connected after the 515 restart", async () => (await account()).status === "connected");
    assert.equal((await account()).waJid, `${ACCOUNT_PHONE}@s.whatsapp.net`);
  });

  it("delivery and read receipts move the thread message forward", async () => {
    await startWorker();
    await linkByQr();
    const { requestId } = await send("m-1", "receipts please");
    const entry = await sentEntry(requestId);
    await alice.nextMessage((m) => m.id === entry.providerMessageId);
    edge.sendReceipt(alice, ACCOUNT_PHONE, entry.providerMessageId as string, "delivered");
    await eventually("delivered", async () => (await message("thread-1", requestId))?.status === "delivered");
    edge.sendReceipt(alice, ACCOUNT_PHONE, entry.providerMessageId as string, "read");
    await eventually("read", async () => (await message("thread-1", requestId))?.status === "read");
  });

  it("a reply from a LID contact lands once, in the thread the send opened", async () => {
    await startWorker();
    await linkByQr();
    const { requestId } = await send("m-1", "question?");
    await eventually("sent", async () => (await outbox(requestId)).status === "sent");
    const replyId = await edge.sendFromContact(alice, ACCOUNT_PHONE, "answer!", { addressing: "lid" });
    const stored = await eventually("the reply stored", async () => {
      const { docs } = await adminDb().collectionGroup("messages").where("providerMessageId", "==", replyId).get();
      return docs.length > 0 ? docs : undefined;
    });
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.ref.parent.parent!.id, "thread-1");
    assert.equal(stored[0]!.get("text"), "answer!");
  });

  it("a contact who writes first with a hidden number (LID only) is answered in the thread it opened", async () => {
    await startWorker();
    await linkByQr();
    const firstId = await edge.sendFromContact(alice, ACCOUNT_PHONE, "who is this?", { addressing: "lid-only" });
    const [stored] = await eventually("the message stored", async () => {
      const { docs } = await adminDb().collectionGroup("messages").where("providerMessageId", "==", firstId).get();
      return docs.length > 0 ? docs : undefined;
    });
    const threadId = stored!.ref.parent.parent!.id;
    const thread = (await adminDb().doc(paths.thread(threadId)).get()).data()!;
    assert.equal(thread.peerJid, alice.lidJid);
    const { requestId } = await handleSend(
      { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 10_000, windowSec: 60 } },
      { uid: "alice", admin: false },
      sendPayload({ clientMessageId: "answer", threadId, toJid: alice.lidJid, text: "your gateway" }),
    );
    const entry = await sentEntry(requestId);
    const received = await alice.nextMessage((m) => m.id === entry.providerMessageId);
    assert.deepEqual([received.text, received.to.endsWith("@lid")], ["your gateway", true]);
  });

  it("an ERROR ack 463 fails the message with its code, and it is not sent again", async () => {
    await startWorker();
    await linkByQr();
    edge.setPolicy(alice, { kind: "error", code: 463 });
    const { requestId } = await send("m-1", "time-locked");
    await eventually("failed", async () => (await outbox(requestId)).status === "failed");
    assert.match((await outbox(requestId)).lastError as string, /463/);
    assert.equal((await message("thread-1", requestId))?.status, "failed");
  });

  it("a send the edge never answers is given up after SEND_TIMEOUT_MS and retried: the thread is not blocked", async () => {
    const worker = await workers.start(null, {
      WA_WEBSOCKET_URL: edge.url,
      SEND_TIMEOUT_MS: "1000",
      SEND_RETRY_BASE_MS: "200",
    });
    await linkByQr();
    edge.setPolicy(alice, { kind: "silent" });
    const first = await send("m-1", "into the void?");
    const second = await send("m-2", "and after it");
    const retried = await eventually("the hung attempt counted as failed and retried", async () => {
      const entry = await outbox(first.requestId);
      return entry.status === "queued" && entry.attempts >= 1 ? entry : undefined;
    });
    assert.match(retried.lastError as string, /no outcome|timed out|timeout/i);
    assert.equal((await outbox(second.requestId)).status, "queued", "the thread's next message waits its turn");
    edge.setPolicy(alice, { kind: "ack" });
    const [a, b] = await Promise.all([first, second].map(({ requestId }) => sentEntry(requestId)));
    assert.equal((await alice.nextMessage((m) => m.id === a!.providerMessageId)).text, "into the void?");
    assert.equal((await alice.nextMessage((m) => m.id === b!.providerMessageId)).text, "and after it");
    assert.equal(alice.received.length, 2, "each once");
    // Baileys queues later sends behind the stuck one: the socket itself had to be replaced.
    assert.ok(worker.logs.some((l) => l.message === "account_socket_replaced_after_hung_send"));
  });

  it("SIGKILL the worker process: another resumes the session from Firestore without a new QR", async () => {
    const killed = baileysProcess("baileys-killed", { ACCOUNT_LEASE_SEC: "6", OUTBOX_SWEEP_SEC: "1" });
    try {
      await linkByQr();
      const before = await send("m-1", "before the kill");
      const sent = await sentEntry(before.requestId); // by the first process
      await alice.nextMessage((m) => m.id === sent.providerMessageId);
      killed.kill("SIGKILL");
      await exited(killed);
    } finally {
      killed.kill("SIGKILL");
    }
    await takeOver();
    assert.equal((await account()).qr, null, "no QR was needed");
    assert.equal(edge.linkedDevices(ACCOUNT_PHONE), 1);
    // The Signal sessions went on from what the killed process had committed, both ways.
    const after = await send("m-2", "after the kill");
    const entry = await sentEntry(after.requestId); // by the new worker
    assert.equal((await alice.nextMessage((m) => m.id === entry.providerMessageId)).text, "after the kill");
    const replyId = await edge.sendFromContact(alice, ACCOUNT_PHONE, "still here", { addressing: "pn" });
    await eventually("the reply decrypted and stored", async () => {
      const { docs } = await adminDb().collectionGroup("messages").where("providerMessageId", "==", replyId).get();
      return docs[0]?.get("text") === "still here";
    });
  });

  it("a contact's phone that asks for a message again gets the same text, even from a restarted worker", async () => {
    const first = await startWorker();
    await linkByQr();
    const { requestId } = await send("m-1", "say it again");
    const entry = await sentEntry(requestId);
    await alice.nextMessage((m) => m.id === entry.providerMessageId);
    // The worker that sent it is gone, and its memory with it.
    workers.stopped(first);
    await first.stop("restart");
    await startWorker();
    await eventually("connected again", async () => {
      const a = await account();
      return a.status === "connected" && a.owner?.workerId !== first.workerId;
    });
    edge.requestResend(alice, ACCOUNT_PHONE, entry.providerMessageId as string);
    const copies = await eventually("sent again under the same id", () => {
      const same = alice.received.filter((m) => m.id === entry.providerMessageId);
      return same.length === 2 ? same : undefined;
    });
    assert.deepEqual(
      copies.map((m) => m.text),
      ["say it again", "say it again"],
    );
  });

  it("a retry request from another chat gets nothing: our message is re-encrypted only for the chat it went to (number or LID)", async () => {
    const worker = await startWorker();
    await linkByQr();
    const mallory = await edge.addContact("4915100000666", "Mallory");
    const { requestId } = await send("m-1", "for Alice only");
    const entry = await sentEntry(requestId);
    const messageId = entry.providerMessageId as string;
    const first = await alice.nextMessage((m) => m.id === messageId);
    assert.equal(first.to, alice.pnJid, "sent to her number");
    edge.requestResend(alice, ACCOUNT_PHONE, messageId, { from: mallory.pnJid });
    // Alice's own request (from her LID, though the send went to her number), after Mallory's:
    // once hers is answered, Mallory's has been handled.
    edge.requestResend(alice, ACCOUNT_PHONE, messageId, { from: alice.lidJid });
    await eventually("Alice got it again", () => alice.received.filter((m) => m.id === messageId).length === 2);
    assert.deepEqual(
      mallory.received.map((m) => m.text),
      [],
      "nothing reached the other chat",
    );
    const refused = worker.logs.find((l) => l.message === "resend_refused_other_chat");
    assert.equal(refused?.messageId, messageId);
  });

  it("a notification type nothing handles is counted per type in /metrics and its first sighting logged with its shape", async () => {
    const worker = await startWorker();
    await linkByQr();
    const tomorrow = (n: number) => ({
      tag: "notification",
      attrs: { id: `edge-x${n}`, type: "tomorrows_feature", from: alice.pnJid, t: "1800000000" },
      content: [{ tag: "secret_detail", attrs: { jid: alice.lidJid }, content: Buffer.from("private words") }],
    });
    edge.sendStanza(ACCOUNT_PHONE, tomorrow(1));
    edge.sendStanza(ACCOUNT_PHONE, tomorrow(2));
    const counted = await eventually("both counted", async () => {
      const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith("wa_unhandled_stanzas_total{"));
      return line?.endsWith(" 2") ? line : undefined;
    });
    assert.match(counted, /kind="notification"/);
    assert.match(counted, /type="tomorrows_feature"/);
    const logged = worker.logs.filter((l) => l.message === "whatsapp_stanza_unhandled");
    assert.equal(logged.length, 1, "the first sighting only");
    assert.deepEqual([logged[0]!.kind, logged[0]!.type], ["notification", "tomorrows_feature"]);
    assert.equal(logged[0]!.shape, "<notification from id t type><secret_detail jid>…</secret_detail></notification>");
    assert.doesNotMatch(JSON.stringify(logged[0]), /private words|@lid|@s\.whatsapp\.net/);
    // Reported once for the watchdog, which opens unhandled_stanza when several accounts have it.
    const reported = await eventually("reported", async () =>
      (await adminDb().doc(paths.longrun.unhandledStanza("notification", "tomorrows_feature")).get()).data(),
    );
    assert.deepEqual([reported.accountIds, reported.shape], [["acc-1"], logged[0]!.shape]);
  });

  it("401 from the phone: logged_out, the session deleted", async () => {
    await startWorker();
    await linkByQr();
    edge.unlinkAll(ACCOUNT_PHONE);
    await eventually("logged_out", async () => (await account()).status === "logged_out");
    await eventually("session deleted", async () => !(await adminDb().doc(paths.waSession("acc-1")).get()).exists);
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys("acc-1")), 0);
  });

  it("500 is a blip: the account reconnects with its session kept", async () => {
    await startWorker();
    await linkByQr();
    edge.streamError(ACCOUNT_PHONE, 500);
    await eventually("the disconnect recorded", async () => (await account()).lastDisconnect?.code === 500);
    await eventually("connected again", async () => (await account()).status === "connected", 20_000);
    assert.equal(edge.linkedDevices(ACCOUNT_PHONE), 1);
  });

  it("what a contact sends during a 500 blip arrives offline after the reconnect and is stored once each", async () => {
    await startWorker();
    await linkByQr();
    edge.streamError(ACCOUNT_PHONE, 500);
    await eventually("the socket gone", () => !edge.online(ACCOUNT_PHONE));
    const bob = await edge.addContact("4915100000002", "Bob");
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      ids.push(await edge.sendFromContact(i % 2 ? alice : bob, ACCOUNT_PHONE, `while down ${i}`, { addressing: "pn" }));
    }
    await eventually("connected again", async () => (await account()).status === "connected", 20_000);
    await storedOnceEach(ids, (i) => `while down ${i + 1}`);
    assert.ok(edge.offlineDelivered >= 1, "WhatsApp delivered them as offline messages");
    await eventually("the worker receipted every one", () => edge.heldFor(ACCOUNT_PHONE) === 0);
  });

  it("a stored message whose receipt was lost comes back undecryptable: it is receipted, not asked for again", async () => {
    await startWorker();
    await linkByQr();
    const id = "3EB0C0FFEE0000000001";
    edge.loseReceipt(id);
    await edge.sendFromContact(alice, ACCOUNT_PHONE, "receipt lost", { id, addressing: "pn" });
    await eventually("WhatsApp got the receipt, after the reconnect", () => edge.receiptedAt.has(id), 20_000);
    assert.ok(
      edge.log.some((line) => line.startsWith(`receipt for ${id} lost`)),
      "the first receipt was lost",
    );
    assert.ok(edge.offlineDelivered >= 1, "WhatsApp delivered it again");
    assert.deepEqual(
      edge.log.filter((line) => line.startsWith(`retry receipt for ${id}`)),
      [],
      "the contact was not asked to send it again",
    );
    assert.deepEqual(
      (await storedUnder(id)).map((d) => d.get("text")),
      ["receipt lost"],
    );
    assert.equal(edge.heldFor(ACCOUNT_PHONE), 0);
  });

  it("while Firestore refuses to store a message WhatsApp gets no receipt; once stored, it is receipted and stored once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-inbound-faults-"));
    const away = join(dir, "firestore-away");
    const faults = join(dir, "faults.log");
    writeFileSync(away, "");
    const worker = baileysProcess("baileys-faulty", { INBOUND_FAULT_SWITCH: away, FAULT_RECORD: faults }, [
      COMMIT_FAULTS,
    ]);
    try {
      await linkByQr();
      const id = await edge.sendFromContact(alice, ACCOUNT_PHONE, "while Firestore is away", { addressing: "pn" });
      const refused = () => (existsSync(faults) ? readFileSync(faults, "utf8").split("\n").filter(Boolean).length : 0);
      await eventually("three stores of it refused", () => refused() >= 3);
      assert.equal(edge.receiptedAt.has(id), false, "no receipt for a message not stored");
      assert.equal((await storedUnder(id)).length, 0);
      rmSync(away);
      await eventually("receipted once stored", () => edge.receiptedAt.has(id), 20_000);
      assert.deepEqual(
        (await storedUnder(id)).map((d) => d.get("text")),
        ["while Firestore is away"],
      );
      assert.equal(edge.heldFor(ACCOUNT_PHONE), 0);
    } finally {
      worker.kill("SIGKILL");
      await exited(worker);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("what a contact sends while a SIGKILLed worker's lease runs out is stored once each by the worker that takes over", async () => {
    const killed = baileysProcess("baileys-killed", { ACCOUNT_LEASE_SEC: "6", OUTBOX_SWEEP_SEC: "1" });
    const ids: string[] = [];
    try {
      await linkByQr();
      killed.kill("SIGKILL");
      await exited(killed);
      await eventually("the socket gone", () => !edge.online(ACCOUNT_PHONE));
      for (let i = 1; i <= 5; i++) ids.push(await edge.sendFromContact(alice, ACCOUNT_PHONE, `after the kill ${i}`));
    } finally {
      killed.kill("SIGKILL");
    }
    await takeOver();
    await storedOnceEach(ids, (i) => `after the kill ${i + 1}`);
    assert.equal(edge.offlineDelivered, 5, "all five came as offline messages");
    // Each receipt leaves just after its commit: stored is not yet receipted.
    await eventually("every one receipted", () => edge.heldFor(ACCOUNT_PHONE) === 0);
  });

  it("SIGKILL mid-burst of inbound messages loses none: what was not committed WhatsApp delivers again, and each is stored once", async () => {
    const killed = baileysProcess("baileys-killed", { ACCOUNT_LEASE_SEC: "6", OUTBOX_SWEEP_SEC: "1" });
    // Killed the moment WhatsApp has a receipt for a third of the burst: from then on WhatsApp holds
    // those no more, whatever the worker had committed by then.
    const { ids, receipted } = await burstUntil(killed, "SIGKILL", "3EB0B0857");
    assert.ok(receipted >= BURST / 3, "killed mid-burst, after some receipts");
    await takeOver();
    await storedOnceEach(ids, (i) => `burst ${i}`, 20_000);
    await eventually("every one receipted", () => edge.heldFor(ACCOUNT_PHONE) === 0);
  });

  it("SIGTERM mid-burst: every message stored before the socket closed was receipted, so WhatsApp holds none of them", async () => {
    const stopped = baileysProcess("baileys-stopped");
    // A deploy's SIGTERM while the inbound queue still holds part of the burst.
    const { ids } = await burstUntil(stopped, "SIGTERM", "3EB0B0858");
    assert.equal(stopped.exitCode, 0, "a clean shutdown");
    const storedIds: string[] = [];
    for (const id of ids) if ((await storedUnder(id)).length > 0) storedIds.push(id);
    assert.ok(storedIds.length > BURST / 3, "the queue was still storing when the SIGTERM came");
    // Stored but never receipted would come back at the next login on used-up Signal keys.
    assert.deepEqual(
      storedIds.filter((id) => !edge.receiptedAt.has(id)),
      [],
      "each stored message receipted before the socket closed",
    );
  });

  it("traffic the gateway does not store (a pin) is receipted without waiting for a commit, and nothing is stored", async () => {
    await startWorker();
    await linkByQr();
    const pinned = await edge.sendFromContact(alice, ACCOUNT_PHONE, "pin this", { addressing: "pn" });
    await eventually("the message stored", async () => (await storedUnder(pinned)).length === 1);
    const pin = await edge.sendFromContact(
      alice,
      ACCOUNT_PHONE,
      { pinInChatMessage: { key: { remoteJid: alice.pnJid, fromMe: false, id: pinned }, type: 1 } },
      { addressing: "pn" },
    );
    await eventually("the pin receipted", () => edge.receiptedAt.has(pin));
    assert.equal((await storedUnder(pin)).length, 0, "a pin is no message of its own");
    await eventually("the pinned message receipted too", () => edge.heldFor(ACCOUNT_PHONE) === 0);
  });

  it("an offline message older than the thread's last one takes its place by time and leaves the preview alone", async () => {
    await startWorker();
    await linkByQr();
    const { requestId } = await send("m-1", "we will call you");
    await sentEntry(requestId);
    edge.streamError(ACCOUNT_PHONE, 500);
    await eventually("the socket gone", () => !edge.online(ACCOUNT_PHONE));
    // Written a minute ago on a phone that was offline itself, delivered while the worker is down.
    const lateId = await edge.sendFromContact(alice, ACCOUNT_PHONE, "written before your reply", {
      addressing: "pn",
      sentAt: Date.now() - 60_000,
    });
    const [late] = await eventually("the late message stored", async () => {
      const docs = await storedUnder(lateId);
      return docs.length > 0 ? docs : undefined;
    });
    assert.equal(late!.ref.parent.parent!.id, "thread-1");
    const thread = (await adminDb().doc(paths.thread("thread-1")).get()).data()!;
    assert.equal(thread.lastMessagePreview, "we will call you", "the preview did not move back");
    const reply = (await message("thread-1", requestId))!;
    assert.equal(thread.lastMessageAt.toMillis(), reply.createdAt.toMillis());
    assert.ok(late!.get("createdAt").toMillis() < reply.createdAt.toMillis(), "ordered before the reply");
  });

  it("two contacts who send the same message id both have their message stored", async () => {
    await startWorker();
    await linkByQr();
    const bob = await edge.addContact("4915100000002", "Bob");
    await edge.sendFromContact(alice, ACCOUNT_PHONE, "from Alice", { id: "3EB0SAMEID" });
    await edge.sendFromContact(bob, ACCOUNT_PHONE, "from Bob", { id: "3EB0SAMEID" });
    const stored = await eventually("both stored", async () => {
      const docs = await storedUnder("3EB0SAMEID");
      return docs.length === 2 ? docs : undefined;
    });
    assert.deepEqual(stored.map((d) => d.get("text")).sort(), ["from Alice", "from Bob"]);
  });

  it("stores photos, voice notes, documents, stickers and locations as their kinds; reactions, edits and deletions change their target", async () => {
    await startWorker();
    await linkByQr();
    const from = (content: Parameters<FakeWhatsApp["sendFromContact"]>[2]) =>
      edge.sendFromContact(alice, ACCOUNT_PHONE, content, { addressing: "pn" });
    const media = { url: "https://mmg.whatsapp.net/x", mediaKey: Buffer.alloc(32, 1), fileLength: 10 };
    const ids = {
      image: await from({ imageMessage: { ...media, mimetype: "image/jpeg" } }),
      voice: await from({ audioMessage: { ...media, mimetype: "audio/ogg; codecs=opus", ptt: true, seconds: 3 } }),
      document: await from({ documentMessage: { ...media, mimetype: "application/pdf", fileName: "invoice.pdf" } }),
      sticker: await from({ stickerMessage: { ...media, mimetype: "image/webp" } }),
      location: await from({ locationMessage: { degreesLatitude: 52.5, degreesLongitude: 13.4, name: "Office" } }),
    };
    const one = async (id: string) =>
      eventually(`${id} stored`, async () => {
        const docs = await storedUnder(id);
        return docs.length === 1 ? docs[0]! : undefined;
      });
    const expected = { image: "", voice: "", document: "invoice.pdf", sticker: "", location: "Office" };
    for (const [kind, id] of Object.entries(ids)) {
      const doc = await one(id);
      assert.deepEqual([doc.get("kind"), doc.get("text")], [kind, expected[kind as keyof typeof expected]]);
    }
    const threadId = (await one(ids.image)).ref.parent.parent!.id;
    const thread = async () => (await adminDb().doc(paths.thread(threadId)).get()).data()!;
    assert.equal((await thread()).lastMessagePreview, "📍 Office");

    const text = await from("see you at 5");
    await one(text);
    const account = `${ACCOUNT_PHONE}@s.whatsapp.net`;
    await from({ reactionMessage: { key: { remoteJid: account, fromMe: true, id: ids.image }, text: "👍" } });
    await from({
      editedMessage: {
        message: {
          protocolMessage: {
            key: { remoteJid: account, fromMe: true, id: text },
            type: B.proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
            editedMessage: { conversation: "see you at 6" },
          },
        },
      },
    });
    await from({
      protocolMessage: {
        key: { remoteJid: account, fromMe: true, id: ids.sticker },
        type: B.proto.Message.ProtocolMessage.Type.REVOKE,
      },
    });
    await eventually(
      "the reaction on the photo",
      async () => (await one(ids.image)).get("reactions")?.[alice.pnJid] === "👍",
    );
    await eventually("the edit", async () => (await one(text)).get("text") === "see you at 6");
    assert.ok((await one(text)).get("editedAt"));
    await eventually("the deletion", async () => (await one(ids.sticker)).get("deleted") === true);
    assert.equal((await thread()).lastMessagePreview, "see you at 6", "the preview follows the edit, never blank");
    const { docs } = await adminDb().collection(paths.threadMessages(threadId)).get();
    assert.equal(docs.length, 6, "no bubble for the reaction, the edit or the deletion");
  });

  it("a message staff type on the linked phone is stored as outbound, in the contact's thread, with no sender", async () => {
    await startWorker();
    await linkByQr();
    const { requestId } = await send("m-1", "from the gateway");
    const entry = await sentEntry(requestId);
    await alice.nextMessage((m) => m.id === entry.providerMessageId);
    const typedId = await edge.typeOnPhone(ACCOUNT_PHONE, alice, "typed on the phone");
    const [typed] = await eventually("the phone's message stored", async () => {
      const docs = await storedUnder(typedId);
      return docs.length > 0 ? docs : undefined;
    });
    assert.equal(typed!.ref.parent.parent!.id, "thread-1", "in the thread the send opened");
    assert.deepEqual(
      [typed!.get("direction"), typed!.get("senderUid"), typed!.get("text")],
      ["out", null, "typed on the phone"],
    );
    assert.equal((await storedUnder(entry.providerMessageId as string)).length, 1, "the gateway's own send once");
  });

  it("440 (another socket took the session) while the lease is ours: backs off and comes back", async () => {
    await startWorker();
    await linkByQr();
    edge.streamError(ACCOUNT_PHONE, 440);
    await eventually("the disconnect recorded", async () => (await account()).lastDisconnect?.code === 440);
    await eventually("connected again", async () => (await account()).status === "connected", 20_000);
  });
});
