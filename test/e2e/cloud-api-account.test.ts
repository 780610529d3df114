import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { FirebaseError } from "firebase/app";
import { paths } from "@wa-gateway/core";
import { DisconnectCode } from "@wa-gateway/core/accounts";
import type { Timestamp } from "firebase-admin/firestore";
import { getDocs } from "firebase/firestore";
import { documentRefs } from "../../client/src/documents";
import { localSecret } from "../../scripts/emulators/firebase";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { callablesWithWorker, type Client } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { FakeGraphApi } from "../support/fakeGraphApi";
import { FakeSecretManager } from "../support/fakeSecretManager";
import { auditDocumentsAfterEach } from "../support/schemaAudit";
import { eventually } from "../support/worker";

const NUMBER = "106540352242922";
const WABA = "102290129340398";
const TOKEN_SECRET = "projects/demo-wa-gateway/secrets/wa-token-sales/versions/latest";
const CUSTOMER = "4915100000001";
/** The first token is a user token Meta expires in 3 days; the rotated one a system user's, which never expires. */
const TOKEN_EXPIRY = new Date(Math.floor(Date.now() / 1000 + 3 * 86_400) * 1000);

/**
 * An operator runs a number on Meta's Cloud API: added by an admin with its token's secret name,
 * connected by the worker (token read from Secret Manager, checked with Meta), sending through
 * the Graph API and receiving through the webhook, with the same callables as any account.
 */
describe("a Cloud API account end to end (callables, webhook, worker, fake Graph API and Secret Manager)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  let graph: FakeGraphApi;
  let secrets: FakeSecretManager;
  let admin: Client;
  let alice: Client;
  let accountId: string;
  let threadId: string;

  before(async () => {
    graph = await FakeGraphApi.start();
    secrets = await FakeSecretManager.start();
    graph.addNumber(NUMBER, "EAAG-token-of-sales", WABA);
    graph.setTemplate(WABA, {
      name: "order_update",
      language: "en_US",
      status: "APPROVED",
      body: "Hello {{1}}, your order {{2}} has shipped.",
    });
    graph.setTemplate(WABA, { name: "spring_sale", language: "en_US", status: "PENDING", body: "20% off!" });
    graph.setTemplate(WABA, { name: "gateway_check", language: "en", status: "APPROVED", body: "Check {{1}}" });
    secrets.set(TOKEN_SECRET, "EAAG-token-of-sales\n");
    graph.expireTokenAt("EAAG-token-of-sales", TOKEN_EXPIRY);
  });
  const { stack, worker } = callablesWithWorker(new SimulatedWhatsApp({ autoLinkMs: 100 }), () => ({
    WA_CLOUD_API_BASE_URL: graph.url,
    SECRET_MANAGER_API_ROOT: secrets.url,
    // A send with no answer in 1.5 s is "maybe sent"; its retry comes 3 s on, time for Meta's status.
    SEND_TIMEOUT_MS: "1500",
    SEND_RETRY_BASE_MS: "3000",
    // Two failed attempts fail an entry: throttling, which is Meta's pacing and no failure, must not count.
    SEND_MAX_ATTEMPTS: "2",
  }));
  before(async () => {
    graph.webhook = {
      url: `${stack().emulators.functionsUrl}/whatsappCloudWebhook`,
      appSecret: localSecret("WA_CLOUD_APP_SECRET"),
    };
    admin = await stack().client("ops", { admin: true });
    alice = await stack().client("alice");
  });
  after(async () => {
    await graph?.close();
    await secrets?.close();
  });

  it("is added by an admin and connects with no QR: its token read from Secret Manager and checked with Meta", async () => {
    ({ accountId } = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
      label: "Sales (Cloud API)",
      memberUids: [alice.uid],
      cloudApi: { phoneNumberId: NUMBER, businessAccountId: WABA, tokenSecret: TOKEN_SECRET },
    }));
    await eventually(
      "the account connected",
      async () => (await adminDb().doc(paths.account(accountId)).get()).get("status") === "connected",
      30_000,
    );
    const account = (await adminDb().doc(paths.account(accountId)).get()).data()!;
    assert.equal(account.qr, null);
    assert.ok(secrets.reads.includes(TOKEN_SECRET));
  });

  it("records when Meta says its token expires, for the watchdog's cloud_token_expiring", async () => {
    const expiresAt = await eventually(
      "the token's expiry recorded",
      async () => (await adminDb().doc(paths.account(accountId)).get()).get("cloudApiToken.expiresAt") as Timestamp,
      30_000,
    );
    assert.equal(expiresAt.toMillis(), TOKEN_EXPIRY.getTime());
  });

  it("refuses free-form text before the customer has written, naming the 24-hour window, and writes nothing", async () => {
    const refused = alice.call("whatsappProxySend", {
      threadId: "cloud-cold-call",
      accountId,
      toJid: `+${CUSTOMER}`,
      text: "Hello from Sales!",
      clientMessageId: "cold-call-1",
    });
    await assert.rejects(refused, (err: FirebaseError) => {
      assert.equal(err.code, "functions/failed-precondition");
      assert.match(err.message, /24-hour customer service window/);
      return true;
    });
    assert.equal((await adminDb().doc(paths.thread("cloud-cold-call")).get()).exists, false);
    assert.equal(graph.attempts, 0);
  });

  it("its templates are synced from Meta, and its members can list them", async () => {
    const listed = await eventually(
      "the catalogue synced",
      async () => {
        const docs = (await getDocs(documentRefs.messageTemplates(alice.firestore, accountId))).docs;
        return docs.length === 3 ? docs.map((d) => d.data()) : undefined;
      },
      30_000,
    );
    assert.deepEqual(
      listed.map((t) => [t.name, t.language, t.status, t.parameterCount, t.sendable]),
      [
        ["gateway_check", "en", "APPROVED", 1, true],
        ["order_update", "en_US", "APPROVED", 2, true],
        ["spring_sale", "en_US", "PENDING", 0, true],
      ],
    );
    const outsider = await stack().client("mallory");
    await assert.rejects(getDocs(documentRefs.messageTemplates(outsider.firestore, accountId)), /permission/i);
  });

  it("outside the window an approved template goes: Meta gets it with its parameters, the thread shows its text", async () => {
    const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySendTemplate", {
      threadId: "cloud-cold-call",
      accountId,
      toJid: `+${CUSTOMER}`,
      template: { name: "order_update", language: "en_US", parameters: ["Alice", "A-17"] },
      clientMessageId: "cold-call-template-1",
    });
    const message = adminDb().doc(paths.threadMessage("cloud-cold-call", requestId));
    await eventually("the template sent", async () => (await message.get()).get("status") === "sent", 30_000);
    assert.equal((await message.get()).get("text"), "Hello Alice, your order A-17 has shipped.");
    assert.deepEqual(
      graph.sends.map((s) => [s.to, s.template?.name, s.template?.parameters, s.text]),
      [[CUSTOMER, "order_update", ["Alice", "A-17"], "Hello Alice, your order A-17 has shipped."]],
    );
  });

  it("the OUT probe goes through the Graph API as the configured template, to a number that never wrote", async () => {
    await adminDb()
      .doc(paths.longrun.config)
      .set({
        probes: {
          outbound: {
            accountId,
            toJid: "4915100000077@s.whatsapp.net",
            template: { name: "gateway_check", language: "en", parameters: ["ok"] },
          },
        },
      });
    const { probeKey } = await admin.call<{ probeKey: string }>("whatsappAdminRunProbe", { type: "OUT" });
    const started = (await adminDb().doc(paths.longrun.probe(probeKey)).get()).data()!;
    const entry = adminDb().doc(paths.outboxEntry(started.requestId as string));
    await eventually("the probe sent", async () => (await entry.get()).get("status") === "sent", 30_000);
    assert.deepEqual(
      graph.sends.filter((s) => s.to === "4915100000077").map((s) => [s.template?.name, s.text]),
      [["gateway_check", "Check ok"]],
    );
  });

  it("a template not approved, or given the wrong parameters, is refused at once and writes nothing", async () => {
    const attempt = (template: Record<string, unknown>, clientMessageId: string) =>
      alice.call("whatsappProxySendTemplate", {
        threadId: "cloud-template-refusals",
        accountId,
        toJid: "+4915100000002",
        template,
        clientMessageId,
      });
    const codes = await Promise.all(
      [
        attempt({ name: "spring_sale", language: "en_US" }, "t-pending"),
        attempt({ name: "order_update", language: "de" }, "t-unknown"),
        attempt({ name: "order_update", language: "en_US", parameters: ["Alice"] }, "t-params"),
      ].map((p) =>
        p.then(
          () => "accepted",
          (err: FirebaseError) => err.code,
        ),
      ),
    );
    assert.deepEqual(codes, ["functions/failed-precondition", "functions/not-found", "functions/invalid-argument"]);
    assert.equal((await adminDb().doc(paths.thread("cloud-template-refusals")).get()).exists, false);
    assert.equal(graph.sends.length, 2, "only the approved templates went to Meta");
  });

  it("the customer's answer, posted by Meta to the webhook, lands in the thread with them", async () => {
    const wamid = await graph.customerWrites(NUMBER, CUSTOMER, "Hi, where is my order?", "Alice Customer");
    threadId = "cloud-cold-call";
    const inbound = await eventually(
      "the customer's message stored",
      async () =>
        (
          await adminDb().collection(paths.threadMessages(threadId)).where("direction", "==", "in").get()
        ).docs[0]?.data(),
      30_000,
    );
    assert.deepEqual([inbound.text, inbound.providerMessageId], ["Hi, where is my order?", wamid]);
  });

  it("a member's reply within the window goes out through the Graph API once, and Meta's delivered status reaches it", async () => {
    const entry = await send("reply-1", "Your order is on its way.");
    const requestId = entry.id;
    const message = adminDb().doc(paths.threadMessage(threadId, requestId));
    await eventually("the send recorded", async () => (await message.get()).get("status") === "sent", 30_000);
    const outbox = (await entry.get()).data()!;
    const reply = graph.sends.filter((s) => s.text === "Your order is on its way.");
    assert.deepEqual(
      reply.map((s) => [s.phoneNumberId, s.to, s.callbackData]),
      [[NUMBER, CUSTOMER, outbox.providerMessageId]],
    );
    await graph.statusOf(reply[0]!, "delivered");
    await eventually("delivered", async () => (await message.get()).get("status") === "delivered", 30_000);
  });

  /** Alice writes in the thread the customer opened (one thread per account and customer). */
  async function send(clientMessageId: string, text: string) {
    const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySend", {
      threadId,
      accountId,
      toJid: `+${CUSTOMER}`,
      text,
      clientMessageId,
    });
    return adminDb().doc(paths.outboxEntry(requestId));
  }

  it("the customer's reaction to the reply, named by Meta's wamid, shows on that reply", async () => {
    const reply = graph.sends.find((s) => s.text === "Your order is on its way.")!;
    await graph.customerReacts(reply, "👍");
    const messages = adminDb().collection(paths.threadMessages(threadId));
    const reacted = await eventually(
      "the reaction applied",
      async () =>
        (await messages.where("providerMessageId", "==", reply.callbackData).get()).docs
          .map((d) => d.data())
          .find((m) => Object.values(m.reactions as Record<string, string>).includes("👍")),
      30_000,
    );
    assert.equal(reacted.text, "Your order is on its way.");
    assert.equal((await messages.get()).size, 3, "a reaction is no message of its own");
  });

  it("the customer's photo is fetched with the number's token and stored, and a member reads it back", async () => {
    const photo = randomBytes(40_000);
    const { wamid } = await graph.customerSendsMedia(NUMBER, CUSTOMER, {
      type: "image",
      bytes: photo,
      mimeType: "image/jpeg",
      caption: "the damaged box",
    });
    const [doc] = await eventually(
      "the photo stored",
      async () => {
        const docs = (
          await adminDb().collection(paths.threadMessages(threadId)).where("providerMessageId", "==", wamid).get()
        ).docs;
        return docs[0]?.get("mediaStatus") === "stored" ? docs : undefined;
      },
      30_000,
    );
    assert.deepEqual(
      [doc!.get("kind"), doc!.get("text"), doc!.get("media.size")],
      ["image", "the damaged box", photo.length],
    );
    const { url } = await alice.call<{ url: string }>("whatsappProxyGetMediaUrl", { threadId, messageId: doc!.id });
    assert.ok(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(photo), "the same bytes");
    assert.equal(graph.mediaDownloads, 1);
  });

  it("a send Meta throttles (130429) more often than SEND_MAX_ATTEMPTS backs off and goes out once, not lost", async () => {
    graph.refuseNext(2, { status: 400, code: 130429, message: "(#130429) Rate limit hit" });
    const attemptsBefore = graph.attempts;
    const entry = await send("cloud-throttled", "Sorry for the wait.");
    await eventually("sent after the throttling", async () => (await entry.get()).get("status") === "sent", 60_000);
    assert.equal(graph.attempts - attemptsBefore, 3);
    assert.equal(graph.sends.filter((s) => s.text === "Sorry for the wait.").length, 1);
  });

  it("a send whose answer was lost is known sent by Meta's status, and not sent again", async () => {
    graph.hangNext(1);
    const attemptsBefore = graph.attempts;
    const entry = await send("cloud-lost-answer", "Your invoice is attached.");
    const taken = await eventually(
      "Meta took the send",
      async () => graph.sends.find((s) => s.text === "Your invoice is attached."),
      30_000,
    );
    await graph.statusOf(taken, "sent");
    await eventually("recorded as sent", async () => (await entry.get()).get("status") === "sent", 60_000);
    assert.equal(graph.attempts - attemptsBefore, 1, "no second POST");
    // The Graph call timed out inside the delivery engine's bound: a "maybe sent", not a hung socket.
    assert.equal((await adminDb().doc(paths.account(accountId)).get()).get("status"), "connected");
    assert.ok(!worker().logs.some((l) => l.message === "account_socket_replaced_after_hung_send"));
    assert.ok(((await entry.get()).get("attempts") as number) >= 2, "the entry was tried again, and found sent");
  });

  it("a token Meta stops taking disconnects the account, and the rotated secret reconnects it with no call", async () => {
    graph.addNumber(NUMBER, "EAAG-rotated-token"); // Meta revoked the old token
    const entry = await send("after-revoke", "Are you still there?");
    await eventually(
      "the account disconnected",
      async () => (await adminDb().doc(paths.account(accountId)).get()).get("status") === "disconnected",
      30_000,
    );
    // The watchdog's account_down names the cause from this code: store a new token.
    assert.equal(
      (await adminDb().doc(paths.account(accountId)).get()).get("lastDisconnect.code"),
      DisconnectCode.cloudApiTokenRefused,
    );
    secrets.set(TOKEN_SECRET, "EAAG-rotated-token"); // the operator stores the new one
    await eventually(
      "connected again",
      async () => (await adminDb().doc(paths.account(accountId)).get()).get("status") === "connected",
      60_000,
    );
    await eventually("the waiting message sent", async () => (await entry.get()).get("status") === "sent", 60_000);
    assert.equal(graph.sends.filter((s) => s.text === "Are you still there?").length, 1);
    await eventually(
      "the new token recorded as never expiring",
      async () => (await adminDb().doc(paths.account(accountId)).get()).get("cloudApiToken.expiresAt") === null,
      30_000,
    );
  });

  it("a member's document within the window goes to Meta as an upload and a message naming it, with its caption", async () => {
    const pdf = randomBytes(30_000);
    const upload = await alice.call<{ uploadId: string; url: string; headers: Record<string, string> }>(
      "whatsappProxyCreateUpload",
      {
        accountId,
        threadId,
        kind: "document",
        contentType: "application/pdf",
        size: pdf.length,
        fileName: "invoice.pdf",
      },
    );
    assert.equal((await fetch(upload.url, { method: "PUT", headers: upload.headers, body: pdf })).status, 200);
    const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySend", {
      threadId,
      accountId,
      toJid: `+${CUSTOMER}`,
      media: { uploadId: upload.uploadId, caption: "Your invoice" },
      clientMessageId: "cloud-invoice-1",
    });
    const sent = await eventually(
      "Meta took the document",
      () => graph.sends.find((s) => s.media?.filename === "invoice.pdf"),
      30_000,
    );
    assert.deepEqual(
      [sent.media!.type, sent.media!.mimeType, sent.text],
      ["document", "application/pdf", "Your invoice"],
    );
    assert.ok(sent.media!.bytes.equals(pdf), "the same bytes");
    assert.equal(sent.callbackData, (await adminDb().doc(paths.outboxEntry(requestId)).get()).get("providerMessageId"));
  });

  it("a Cloud API account is removed like any account: let go by its worker, finished, its history kept", async () => {
    await admin.call("whatsappProxyRemoveAccount", { accountId });
    const account = await eventually(
      "the removal finished",
      async () => {
        const doc = (await adminDb().doc(paths.account(accountId)).get()).data()!;
        const letGo = doc.owner === null || doc.owner.releasedAt !== undefined;
        return letGo && doc.sessionClearedAt ? doc : undefined;
      },
      30_000,
    );
    assert.equal(account.status, "removed");
    assert.ok((await adminDb().collection(paths.threadMessages(threadId)).get()).size > 0);
  });
});
