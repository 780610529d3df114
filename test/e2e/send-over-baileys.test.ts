import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { startFakePhone } from "../../scripts/lib/fakePhone";
import { addAccountAndShip, callablesWithWorker } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";

describe("end to end on Baileys: callable → outbox → Baileys socket → fake WhatsApp edge → contact's phone", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  let edge: FakeWhatsApp;
  let contact: FakeContact;
  let stopPhone = () => {};
  before(async () => {
    edge = await FakeWhatsApp.start({ deliveredAfterMs: 100 });
    contact = await edge.addContact("40712345678", "Customer");
  });
  // The worker runs WA_TRANSPORT=baileys against the edge; the person's phone scans each QR.
  const { stack, worker } = callablesWithWorker(null, () => ({ WA_WEBSOCKET_URL: edge.url }));
  before(() => {
    stopPhone = startFakePhone(adminDb(), edge, 0, () => undefined);
  });
  after(async () => {
    stopPhone();
    await edge.close();
  });

  it("an admin adds an account, the phone scans its QR, a member's message is decrypted by the contact and delivered", async () => {
    const outbox = await addAccountAndShip(stack());
    assert.equal(outbox.claimedBy, worker().workerId);
    assert.deepEqual(
      contact.received.map((m) => [m.id, m.text]),
      [[outbox.providerMessageId, "Your order has shipped."]],
    );
  });
});
