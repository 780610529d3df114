import assert from "node:assert/strict";
import {
  checkSignature,
  cloudEventId,
  contentOf,
  handleCloudWebhook,
  signatureOf,
  type CloudEvent,
  type CloudEventStore,
  type WebhookRequest,
} from "@wa-gateway/core/cloudApi";

const SECRET = "app-secret-for-tests";
const settings = { verifyToken: "verify-me", appSecret: SECRET };

/** Meta's shape of one `messages` change for phone number 1001. */
function delivery(value: Record<string, unknown>, field = "messages") {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "WABA-1",
        changes: [
          {
            field,
            value: { messaging_product: "whatsapp", metadata: { phone_number_id: "1001" }, ...value },
          },
        ],
      },
    ],
  };
}

const textFromAlice = delivery({
  contacts: [{ wa_id: "4915100000001", profile: { name: "Alice" } }],
  messages: [
    { from: "4915100000001", id: "wamid.IN1", timestamp: "1764700000", type: "text", text: { body: "hello" } },
  ],
});

const post = (body: unknown, sign: (raw: Buffer) => string | undefined = (raw) => signatureOf(SECRET, raw)) => {
  const rawBody = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return { method: "POST", query: new URLSearchParams(), signature: sign(rawBody), rawBody } satisfies WebhookRequest;
};

const get = (query: Record<string, string>): WebhookRequest => ({
  method: "GET",
  query: new URLSearchParams(query),
  signature: undefined,
  rawBody: undefined,
});

function memoryEvents(): CloudEventStore & { stored: Map<string, CloudEvent> } {
  const stored = new Map<string, CloudEvent>();
  return {
    stored,
    async record(event) {
      if (stored.has(event.id)) return "replayed";
      stored.set(event.id, event);
      return "recorded";
    },
  };
}

describe("the Cloud API webhook's signature", () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it("accepts the HMAC-SHA256 of the raw body under the app secret", () => {
    assert.equal(checkSignature(SECRET, body, signatureOf(SECRET, body)), "valid");
  });

  it("refuses a signature made with another secret, or over other bytes", () => {
    assert.equal(checkSignature(SECRET, body, signatureOf("another secret", body)), "mismatch");
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    assert.equal(checkSignature(SECRET, reserialised, signatureOf(SECRET, body)), "mismatch");
  });

  it("refuses a missing header and one not of the form sha256=<64 hex>", () => {
    assert.equal(checkSignature(SECRET, body, undefined), "missing");
    assert.equal(checkSignature(SECRET, body, "sha1=abc"), "mismatch");
    assert.equal(checkSignature(SECRET, body, "sha256=" + "0".repeat(63)), "mismatch");
  });
});

describe("what a Cloud API delivery carries", () => {
  it("a message becomes one event of its phone number, with its sender's profile", () => {
    const content = contentOf(Buffer.from(JSON.stringify(textFromAlice)));
    assert.equal(content.kind, "events");
    assert.deepEqual(
      content.kind === "events" &&
        content.events.map((e) => e.kind === "message" && [e.id, e.phoneNumberId, e.wamid, e.contact?.profile?.name]),
      [["m_wamid%2EIN1", "1001", "wamid.IN1", "Alice"]],
    );
  });

  it("each status of a send is its own event; the same status twice is the same event", () => {
    const statuses = delivery({
      statuses: [
        { id: "wamid.OUT1", status: "sent", timestamp: "1764700001", recipient_id: "4915100000001" },
        { id: "wamid.OUT1", status: "delivered", timestamp: "1764700002", recipient_id: "4915100000001" },
        { id: "wamid.OUT1", status: "delivered", timestamp: "1764700002", recipient_id: "4915100000001" },
      ],
    });
    const content = contentOf(Buffer.from(JSON.stringify(statuses)));
    assert.ok(content.kind === "events");
    assert.deepEqual(
      content.events.map((e) => e.id),
      ["s_wamid%2EOUT1_sent", "s_wamid%2EOUT1_delivered", "s_wamid%2EOUT1_delivered"],
    );
  });

  it("keeps the fields it does not read, as Meta sent them", () => {
    const content = contentOf(Buffer.from(JSON.stringify(textFromAlice)));
    const event = content.kind === "events" ? content.events[0] : undefined;
    assert.ok(event?.kind === "message");
    assert.deepEqual(event.message.text, { body: "hello" });
  });

  it("names the changes it does not take instead of failing the delivery", () => {
    const content = contentOf(Buffer.from(JSON.stringify(delivery({ ban_info: {} }, "account_update"))));
    assert.deepEqual(content, { kind: "events", events: [], ignored: ["account_update"] });
  });

  it("a body that is not JSON, or not a webhook payload, is malformed", () => {
    assert.equal(contentOf(Buffer.from("{not json")).kind, "malformed");
    assert.equal(contentOf(Buffer.from('{"entry":"x"}')).kind, "malformed");
  });

  it("event ids are safe document ids whatever the wamid holds", () => {
    assert.equal(cloudEventId({ kind: "message", wamid: "wamid.a/b==" }), "m_wamid%2Ea%2Fb%3D%3D");
  });
});

describe("the Cloud API webhook handler", () => {
  it("answers Meta's subscription check with the challenge for the configured token only", async () => {
    const events = memoryEvents();
    const ok = await handleCloudWebhook(
      settings,
      events,
      get({ "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444" }),
    );
    assert.deepEqual([ok.status, ok.body, ok.outcome], [200, "1158201444", "verified"]);
    const wrong = await handleCloudWebhook(
      settings,
      events,
      get({ "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1" }),
    );
    assert.deepEqual([wrong.status, wrong.outcome, wrong.body.includes("1")], [403, "verification_refused", false]);
  });

  it("refuses a token of the same length in other characters, without failing", async () => {
    const answer = await handleCloudWebhook(
      settings,
      memoryEvents(),
      get({ "hub.mode": "subscribe", "hub.verify_token": "vérify-me", "hub.challenge": "1" }),
    );
    assert.deepEqual([answer.status, answer.outcome], [403, "verification_refused"]);
  });

  it("verifies no subscription while no verify token is configured", async () => {
    const off = await handleCloudWebhook(
      { ...settings, verifyToken: "" },
      memoryEvents(),
      get({ "hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1" }),
    );
    assert.deepEqual([off.status, off.outcome], [403, "verification_refused"]);
  });

  it("stores a signed delivery's events and answers 200", async () => {
    const events = memoryEvents();
    const answer = await handleCloudWebhook(settings, events, post(textFromAlice));
    assert.deepEqual(answer, {
      outcome: "stored",
      recorded: 1,
      replayed: 0,
      ignored: [],
      status: 200,
      body: "EVENT_RECEIVED",
    });
    assert.deepEqual([...events.stored.keys()], ["m_wamid%2EIN1"]);
  });

  it("a delivery Meta repeats is answered 200 and stored once", async () => {
    const events = memoryEvents();
    await handleCloudWebhook(settings, events, post(textFromAlice));
    const again = await handleCloudWebhook(settings, events, post(textFromAlice));
    assert.deepEqual([again.status, again.outcome === "stored" && again.replayed], [200, 1]);
    assert.equal(events.stored.size, 1);
  });

  it("refuses a forged, missing or replayed-with-changes signature with 403 and stores nothing", async () => {
    const events = memoryEvents();
    const forged = await handleCloudWebhook(
      settings,
      events,
      post(textFromAlice, (raw) => signatureOf("guessed", raw)),
    );
    const missing = await handleCloudWebhook(
      settings,
      events,
      post(textFromAlice, () => undefined),
    );
    const signedOriginal = signatureOf(SECRET, Buffer.from(JSON.stringify(textFromAlice)));
    const altered = JSON.stringify(textFromAlice).replace("hello", "pay me");
    const tampered = await handleCloudWebhook(
      settings,
      events,
      post(altered, () => signedOriginal),
    );
    assert.deepEqual(
      [forged, missing, tampered].map((a) => [a.status, a.outcome === "signature_refused" && a.reason]),
      [
        [403, "mismatch"],
        [403, "missing"],
        [403, "mismatch"],
      ],
    );
    assert.equal(events.stored.size, 0);
  });

  it("refuses every delivery while the app secret is off", async () => {
    const events = memoryEvents();
    const answer = await handleCloudWebhook(
      { ...settings, appSecret: "off" },
      events,
      post(textFromAlice, (raw) => signatureOf("off", raw)),
    );
    assert.deepEqual([answer.status, answer.outcome === "signature_refused" && answer.reason], [403, "off"]);
    assert.equal(events.stored.size, 0);
  });

  it("answers 400 to a signed body that is no webhook payload, storing nothing", async () => {
    const events = memoryEvents();
    const answer = await handleCloudWebhook(settings, events, post("{not json"));
    assert.deepEqual([answer.status, answer.outcome], [400, "malformed"]);
    assert.equal(events.stored.size, 0);
  });

  it("does not answer 200 when an event could not be stored: Meta delivers it again", async () => {
    const failing: CloudEventStore = { record: async () => Promise.reject(new Error("Firestore unavailable")) };
    await assert.rejects(handleCloudWebhook(settings, failing, post(textFromAlice)), /Firestore unavailable/);
  });

  it("refuses other methods", async () => {
    const answer = await handleCloudWebhook(settings, memoryEvents(), { ...get({}), method: "PUT" });
    assert.equal(answer.status, 405);
  });
});
