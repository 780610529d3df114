import assert from "node:assert/strict";
import { FirebaseError } from "firebase/app";
import { inboundThreadId, requestIdFor } from "@wa-gateway/core";
import { optOuts, outbox, threadMessages } from "@wa-gateway/data";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { callablesWithWorker } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { auditDocumentsAfterEach } from "../support/schemaAudit";
import { eventually } from "../support/worker";

const CONTACT = "40799999999@s.whatsapp.net";
const CONTACT_LID = "81299999999999@lid";

/** A call's FirebaseError, or undefined when it succeeded. */
async function refusal(promise: Promise<unknown>): Promise<FirebaseError | undefined> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FirebaseError, String(err));
    return err;
  }
  return undefined;
}

describe("opt-out: a contact's STOP and START, end to end (worker + callables on the emulators)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  const network = new SimulatedWhatsApp({ autoLinkMs: 100, deliveredReceiptMs: 100 });
  const { stack } = callablesWithWorker(network);

  it("a contact who writes STOP is refused by whatsappProxySend with failed-precondition and nothing is written; after START the send is accepted", async () => {
    const admin = await stack().client("ops", { admin: true });
    const alice = await stack().client("alice");
    const { accountId } = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
      label: "Shop",
      memberUids: [alice.uid],
    });
    await eventually("linked", () => network.isOpen(accountId), 30_000);
    const db = adminDb();
    const threadId = inboundThreadId(accountId, CONTACT);
    const messageCount = async () => (await threadMessages.of(db, threadId).get()).size;
    const send = (clientMessageId: string) =>
      alice.call<{ requestId: string }>("whatsappProxySend", {
        accountId,
        threadId,
        toJid: CONTACT,
        text: `a reply (${clientMessageId})`,
        clientMessageId,
      });

    network.inbound(accountId, { messageId: "3EB0HELLO", fromJid: CONTACT, fromJidAlt: CONTACT_LID, text: "Hello" });
    await eventually("the contact's thread", async () => (await messageCount()) === 1);
    await send("before-stop");

    network.inbound(accountId, { messageId: "3EB0STOP", fromJid: CONTACT, fromJidAlt: CONTACT_LID, text: "Stop!" });
    await eventually("the opt-out is recorded", async () => (await optOuts.doc(db, accountId, CONTACT).get()).exists);
    assert.equal((await optOuts.doc(db, accountId, CONTACT_LID).get()).data()?.keyword, "STOP", "under its LID too");
    const before = await messageCount();

    const refused = await refusal(send("after-stop"));
    assert.ok(refused, "refused");
    assert.equal(refused.code, "functions/failed-precondition");
    assert.match(refused.message, /toJid: this contact opted out of messages from this account \(they wrote STOP\)/);
    assert.match(refused.message, /npm run opt-out -- clear/);
    assert.equal((await outbox.doc(db, requestIdFor(alice.uid, "after-stop")).get()).exists, false, "no outbox entry");
    assert.equal(await messageCount(), before, "no thread message");

    network.inbound(accountId, { messageId: "3EB0START", fromJid: CONTACT, text: "START" });
    await eventually("the opt-out is removed", async () => !(await optOuts.doc(db, accountId, CONTACT).get()).exists);
    assert.equal((await optOuts.doc(db, accountId, CONTACT_LID).get()).exists, false, "under its LID too");
    const { requestId } = await send("after-start");
    assert.equal((await outbox.doc(db, requestId).get()).data()?.toJid, CONTACT, "accepted and queued");
  });
});
