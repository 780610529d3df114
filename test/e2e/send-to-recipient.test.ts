import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { callablesWithWorker } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { eventually } from "../support/worker";

describe("end to end: callable → outbox → worker → simulated recipient → sent", function () {
  this.timeout(180_000);
  const network = new SimulatedWhatsApp({ autoLinkMs: 100, deliveredReceiptMs: 100 });
  const { stack, worker } = callablesWithWorker(network);

  it("an admin adds an account, it links, a member's message reaches the recipient once and is delivered", async () => {
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
    assert.equal(outbox.status, "sent");
    assert.equal(outbox.claimedBy, worker().workerId);
    const received = network.deliveriesTo("40712345678@s.whatsapp.net");
    assert.deepEqual(
      received.map((d) => [d.messageId, d.text]),
      [[outbox.providerMessageId, "Your order has shipped."]],
    );
  });
});
