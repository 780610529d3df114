import { auditDocumentsAfterEach } from "../support/schemaAudit";
import { adminDb } from "../support/emulator";
import assert from "node:assert/strict";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { addAccountAndShip, callablesWithWorker } from "../support/callableStack";

describe("end to end: callable → outbox → worker → simulated recipient → sent", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  const network = new SimulatedWhatsApp({ autoLinkMs: 100, deliveredReceiptMs: 100 });
  const { stack, worker } = callablesWithWorker(network);

  it("an admin adds an account, it links, a member's message reaches the recipient once and is delivered", async () => {
    const outbox = await addAccountAndShip(stack());
    assert.equal(outbox.status, "sent");
    assert.equal(outbox.claimedBy, worker().workerId);
    const received = network.deliveriesTo("40712345678@s.whatsapp.net");
    assert.deepEqual(
      received.map((d) => [d.messageId, d.text]),
      [[outbox.providerMessageId, "Your order has shipped."]],
    );
  });
});
