import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { startFakePhone } from "../../scripts/lib/fakePhone";
import { callablesWithWorker } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";
import { eventually } from "../support/worker";

describe("end to end on Baileys: callable → outbox → Baileys socket → fake WhatsApp edge → contact's phone", function () {
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
    const admin = await stack().client("ops", { admin: true });
    const alice = await stack().client("alice");
    const { accountId } = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
      label: "Shop",
      memberUids: [alice.uid],
    });
    await eventually(
      "account connected",
      async () => {
        const { accounts } = await alice.call<{ accounts: { accountId: string; status: string }[] }>(
          "whatsappProxyGetAccounts",
          {},
        );
        return accounts.find((a) => a.accountId === accountId)?.status === "connected";
      },
      30_000,
    );

    const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySend", {
      threadId: "order-1042",
      accountId,
      toJid: "+40712345678",
      text: "Your order has shipped.",
      clientMessageId: "order-1042-shipped",
    });
    const message = adminDb().doc(paths.threadMessage("order-1042", requestId));
    await eventually(
      "thread message delivered",
      async () => (await message.get()).get("status") === "delivered",
      30_000,
    );
    const outbox = (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
    assert.equal(outbox.claimedBy, worker().workerId);
    assert.deepEqual(
      contact.received.map((m) => [m.id, m.text]),
      [[outbox.providerMessageId, "Your order has shipped."]],
    );
  });
});
