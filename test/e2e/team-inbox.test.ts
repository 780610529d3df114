import { auditDocumentsAfterEach } from "../support/schemaAudit";
import { adminDb } from "../support/emulator";
import assert from "node:assert/strict";
import { getDocs } from "firebase/firestore";
import {
  callables,
  connectGateway,
  inboxQueries,
  watchMessageStatus,
  watchThreadMessages,
  watchUnassignedThreads,
  type ThreadMessage,
} from "../../client/src/index";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { callablesWithWorker, firebaseErrorCode as errorCode, type Client } from "../support/callableStack";
import { eventually } from "../support/worker";

const CONTACT = "40799999999@s.whatsapp.net";

/** The typed client (client/), as app code uses it, on this test client's emulator connections. */
const gatewayOf = (client: Client) => connectGateway(client.app, { functions: client.functions });

describe("a shared inbox, as an app builds it (client SDK, Auth + Functions + Firestore emulators)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  // Each send takes 300 ms on the network, so the app sees its reply `queued` before `sent`.
  const network = new SimulatedWhatsApp({ autoLinkMs: 100, deliveredReceiptMs: 100, sendLatencyMs: 300 });
  const { stack } = callablesWithWorker(network);

  it("a contact writes first; a member sees it in the inbox, claims it and replies; the reply is delivered", async () => {
    const admin = await stack().client("ops", { admin: true });
    const [alice, bob, carol] = [
      await stack().client("alice"),
      await stack().client("bob"),
      await stack().client("carol"),
    ];
    const { accountId } = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
      label: "Support",
      memberUids: [alice.uid, bob.uid],
    });
    await eventually("linked", () => network.isOpen(accountId), 30_000);
    await eventually("connected", async () => {
      const { accounts } = await alice.call<{ accounts: { status: string }[] }>("whatsappProxyGetAccounts", {});
      return accounts[0]?.status === "connected";
    });

    // The inbox, live, as alice's app shows it.
    const seen: string[][] = [];
    const listenErrors: Error[] = [];
    const unsubscribe = watchUnassignedThreads(
      alice.firestore,
      accountId,
      (threads) => seen.push(threads.map((t) => t.id)),
      (err) => listenErrors.push(err),
    );
    // The inbox is on screen (its first snapshot came) before the contact writes, as in an app. Twice
    // on CI a thread stored while the listener's first query ran never reached it, with no listener
    // error; the cause is not known, so a miss now also says whether the query itself finds it.
    await eventually("alice's inbox is listening", () => seen.length > 0);
    network.inbound(accountId, { messageId: "3EB0HELLO", fromJid: CONTACT, text: "Hello, is my order late?" });
    const threadId = await eventually("the thread appears in alice's inbox", async () => {
      if (listenErrors.length > 0) throw listenErrors[0];
      return seen.at(-1)?.[0];
    }).catch(async (err: Error) => {
      // Which part failed: the listener's delivery, or the query (rules, index) itself.
      const now = (await getDocs(inboxQueries.unassigned(alice.firestore, accountId))).docs.map((d) => d.id);
      throw new Error(`${err.message}; the same query read once now finds [${now.join(", ")}]`);
    });
    assert.equal(
      await errorCode(getDocs(inboxQueries.unassigned(carol.firestore, accountId))),
      "permission-denied",
      "non-members see nothing",
    );

    const aliceGateway = gatewayOf(alice);
    const claimed = await aliceGateway.whatsappProxyClaimThread({ threadId });
    assert.deepEqual(
      callables.whatsappProxyClaimThread.answer.parse(claimed),
      claimed,
      "the answer is what the contract says",
    );
    assert.equal(claimed.ownerUid, alice.uid);
    await eventually("gone from the inbox once claimed", () => seen.at(-1)?.length === 0);
    unsubscribe();
    assert.equal(
      await errorCode(gatewayOf(bob).whatsappProxyClaimThread({ threadId })),
      "functions/failed-precondition",
    );

    const sent = await aliceGateway.whatsappProxySend({
      threadId,
      accountId,
      toJid: CONTACT,
      text: "It left the warehouse this morning.",
      clientMessageId: "reply-1",
    });
    callables.whatsappProxySend.answer.parse(sent);
    const statuses: string[] = [];
    const stop = watchMessageStatus(alice.firestore, { threadId, requestId: sent.requestId }, (status) => {
      if (statuses.at(-1) !== status) statuses.push(status);
    });
    await eventually("delivered", () => statuses.at(-1) === "delivered", 30_000);
    stop();
    assert.deepEqual(statuses, ["queued", "sent", "delivered"]);

    let messages: ThreadMessage[] = [];
    const stopMessages = watchThreadMessages(alice.firestore, threadId, (m) => (messages = m));
    await eventually("both messages", () => messages.length === 2);
    stopMessages();
    assert.deepEqual(
      messages.map((m) => [m.direction, m.text]),
      [
        ["in", "Hello, is my order late?"],
        ["out", "It left the warehouse this morning."],
      ],
    );
  });
});
