import assert from "node:assert/strict";
import { signatureOf } from "@wa-gateway/core/cloudApi";
import { cloudApiEvents } from "@wa-gateway/data";
import { localSecret } from "../../scripts/emulators/firebase";
import { startCallableStack, type CallableStack } from "../support/callableStack";
import { adminDb, resetFirestore } from "../support/emulator";
import { demoParam } from "../support/functions";
import { auditDocumentsAfterEach } from "../support/schemaAudit";

/** What Meta posts for phone number 1001 when Alice writes to it. */
const fromAlice = (wamid: string, body: string) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "WABA-1",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550001001", phone_number_id: "1001" },
            contacts: [{ wa_id: "4915100000001", profile: { name: "Alice" } }],
            messages: [{ from: "4915100000001", id: wamid, timestamp: "1764700000", type: "text", text: { body } }],
          },
        },
      ],
    },
  ],
});

describe("whatsappCloudWebhook on the Functions emulator (Meta's calls, over HTTP)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(120_000);
  let stack: CallableStack;
  let url: string;
  const appSecret = localSecret("WA_CLOUD_APP_SECRET");

  before(async () => {
    stack = await startCallableStack();
    url = `${stack.emulators.functionsUrl}/whatsappCloudWebhook`;
  });
  after(() => stack?.stop());
  beforeEach(resetFirestore);

  const deliver = (raw: string, signature: string | undefined) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(signature ? { "x-hub-signature-256": signature } : {}) },
      body: raw,
    });

  const stored = async () => (await cloudApiEvents.ofNumber(adminDb(), "1001").get()).docs.map((d) => d.data());

  it("answers Meta's subscription check with the challenge for the configured verify token", async () => {
    const query = (token: string) =>
      new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444" });
    const ok = await fetch(`${url}?${query(demoParam("WA_CLOUD_VERIFY_TOKEN"))}`);
    assert.deepEqual([ok.status, await ok.text()], [200, "1158201444"]);
    const wrong = await fetch(`${url}?${query("not-the-token")}`);
    assert.equal(wrong.status, 403);
    assert.doesNotMatch(await wrong.text(), /1158201444/);
  });

  it("stores a signed message once, however often Meta delivers it", async () => {
    const raw = JSON.stringify(fromAlice("wamid.HBgLNDkxNTEwMDAwMDAwMRUCABIYFjNFQjA=", "hello"));
    const first = await deliver(raw, signatureOf(appSecret, Buffer.from(raw)));
    assert.equal(first.status, 200);
    const again = await deliver(raw, signatureOf(appSecret, Buffer.from(raw)));
    assert.equal(again.status, 200);
    const events = await stored();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.kind, "message");
    assert.equal(events[0]!.wamid, "wamid.HBgLNDkxNTEwMDAwMDAwMRUCABIYFjNFQjA=");
    const payload = JSON.parse(events[0]!.payload) as { message: { text: { body: string } }; contact: unknown };
    assert.equal(payload.message.text.body, "hello");
    assert.deepEqual(payload.contact, { wa_id: "4915100000001", profile: { name: "Alice" } });
  });

  it("refuses a forged or missing signature with 403 and stores nothing", async () => {
    const raw = JSON.stringify(fromAlice("wamid.FORGED", "pay me"));
    const forged = await deliver(raw, signatureOf("a guessed secret", Buffer.from(raw)));
    const unsigned = await deliver(raw, undefined);
    assert.deepEqual([forged.status, unsigned.status], [403, 403]);
    assert.deepEqual(await stored(), []);
  });

  it("checks the signature over the bytes as sent, not over the JSON re-serialised", async () => {
    const raw = JSON.stringify(fromAlice("wamid.SPACED", "hello"), null, 2);
    const response = await deliver(raw, signatureOf(appSecret, Buffer.from(raw)));
    assert.equal(response.status, 200);
    assert.equal((await stored()).length, 1);
  });
});
