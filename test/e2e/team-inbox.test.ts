import assert from "node:assert/strict";
import { FirebaseError } from "firebase/app";
import { collection, doc, getDocs, onSnapshot, orderBy, query, where } from "firebase/firestore";
import { paths } from "@wa-gateway/core";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { startCallableStack, type CallableStack, type Client } from "../support/callableStack";
import { resetFirestore } from "../support/emulator";
import { eventually, startTestWorker } from "../support/worker";

const CONTACT = "40799999999@s.whatsapp.net";

/** The README's inbox query: the account's threads nobody owns yet, newest first. */
const unassigned = (client: Client, accountId: string) =>
  query(
    collection(client.firestore, "threads"),
    where("accountId", "==", accountId),
    where("ownerUid", "==", null),
    orderBy("lastMessageAt", "desc"),
  );

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FirebaseError, String(err));
    return err.code;
  }
  return "ok";
}

describe("a shared inbox, as an app builds it (client SDK, Auth + Functions + Firestore emulators)", function () {
  this.timeout(180_000);
  let stack: CallableStack;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  const network = new SimulatedWhatsApp({ autoLinkMs: 100, deliveredReceiptMs: 100 });

  before(async () => {
    await resetFirestore();
    stack = await startCallableStack();
    worker = await startTestWorker(network);
  });

  after(async () => {
    await worker?.stop("test_done");
    await stack?.stop();
  });

  it("a contact writes first; a member sees it in the inbox, claims it and replies; the reply is delivered", async () => {
    const admin = await stack.client("ops", { admin: true });
    const [alice, bob, carol] = [await stack.client("alice"), await stack.client("bob"), await stack.client("carol")];
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
    const unsubscribe = onSnapshot(unassigned(alice, accountId), (snap) => seen.push(snap.docs.map((d) => d.id)));
    network.inbound(accountId, { messageId: "3EB0HELLO", fromJid: CONTACT, text: "Hello, is my order late?" });
    const threadId = await eventually("the thread appears in alice's inbox", () => seen.at(-1)?.[0]);
    assert.equal(
      await errorCode(getDocs(unassigned(carol, accountId))),
      "permission-denied",
      "non-members see nothing",
    );

    const claimed = await alice.call<{ ownerUid: string }>("whatsappProxyClaimThread", { threadId });
    assert.equal(claimed.ownerUid, alice.uid);
    await eventually("gone from the inbox once claimed", () => seen.at(-1)?.length === 0);
    unsubscribe();
    assert.equal(await errorCode(bob.call("whatsappProxyClaimThread", { threadId })), "functions/failed-precondition");

    const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySend", {
      threadId,
      accountId,
      toJid: CONTACT,
      text: "It left the warehouse this morning.",
      clientMessageId: "reply-1",
    });
    const statuses: string[] = [];
    const stop = onSnapshot(doc(alice.firestore, paths.threadMessage(threadId, requestId)), (snap) => {
      const status = snap.get("status") as string | undefined;
      if (status && statuses.at(-1) !== status) statuses.push(status);
    });
    await eventually("delivered", () => statuses.at(-1) === "delivered", 30_000);
    stop();
    assert.deepEqual(statuses.slice(-2), ["sent", "delivered"]);
    assert.ok(["queued", "sent"].includes(statuses[0]!), `first status seen: ${statuses[0]}`);

    const messages = await getDocs(
      query(collection(alice.firestore, paths.threadMessages(threadId)), orderBy("createdAt")),
    );
    assert.deepEqual(
      messages.docs.map((d) => [d.get("direction"), d.get("text")]),
      [
        ["in", "Hello, is my order late?"],
        ["out", "It left the warehouse this morning."],
      ],
    );
  });
});
