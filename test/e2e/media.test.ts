import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { FirebaseError } from "firebase/app";
import { paths } from "@wa-gateway/core";
import { phoneFor, startFakePhone } from "../../scripts/lib/fakePhone";
import { callablesWithWorker, type Client } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";
import { eventually, startTestWorker } from "../support/worker";
import {
  connectGateway,
  mediaUrl,
  uploadAndSend,
  watchThreadMessages,
  type ThreadMessage,
} from "../../client/src/index";

/** The callable's error code, or "ok". */
const codeOf = (call: Promise<unknown>) =>
  call.then(
    () => "ok",
    (err: unknown) => (err instanceof FirebaseError ? err.code.replace(/^functions\//, "") : String(err)),
  );

/**
 * Media end to end, as an app sees it: the real Baileys socket against the fake edge (its media
 * host on HTTPS with the test CA), the worker streaming files into the Cloud Storage fake, and the
 * callables on the Functions emulator handing out signed URLs that the fake checks.
 */
describe("end to end: media through Cloud Storage and the callables", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  let edge: FakeWhatsApp;
  let contact: FakeContact;
  let stopPhone = () => {};
  let admin: Client;
  let alice: Client;
  let accountId: string;
  before(async () => {
    edge = await FakeWhatsApp.start();
    contact = await edge.addContact("40712345678", "Customer");
  });
  const { stack, worker } = callablesWithWorker(null, () => ({ WA_WEBSOCKET_URL: edge.url }));
  before(async () => {
    stopPhone = startFakePhone(adminDb(), edge, 0, () => undefined);
    admin = await stack().client("ops", { admin: true });
    alice = await stack().client("alice");
    ({ accountId } = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
      label: "Support",
      memberUids: [alice.uid],
    }));
    await eventually(
      "account connected",
      async () => (await adminDb().doc(paths.account(accountId)).get()).get("status") === "connected",
      30_000,
    );
  });
  after(async () => {
    stopPhone();
    await edge.close();
  });

  /** The contact sends a file; resolves with its thread and message ids once its bytes are stored. */
  async function received(media: Parameters<FakeWhatsApp["sendMediaFromContact"]>[2]) {
    const { id } = await edge.sendMediaFromContact(contact, phoneFor(accountId), media);
    return eventually(
      "the file stored",
      async () => {
        const [doc] = (await adminDb().collectionGroup("messages").where("providerMessageId", "==", id).get()).docs;
        return doc?.get("mediaStatus") === "stored"
          ? { threadId: doc.ref.parent.parent!.id, messageId: doc.id }
          : undefined;
      },
      30_000,
    );
  }

  it("a contact's document lands in Storage, and a member gets a URL that serves the same bytes", async () => {
    const pdf = randomBytes(64_000);
    const ids = await received({ kind: "document", bytes: pdf, mimetype: "application/pdf", fileName: "invoice.pdf" });
    const answer = await alice.call<{ url: string; mimetype: string; size: number; fileName: string }>(
      "whatsappProxyGetMediaUrl",
      ids,
    );
    assert.deepEqual([answer.mimetype, answer.size, answer.fileName], ["application/pdf", pdf.length, "invoice.pdf"]);
    assert.ok(answer.url.startsWith(stack().media.storage.url), "a URL of the media bucket");
    const download = await fetch(answer.url);
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(pdf), "the same bytes");
  });

  it("a non-member, and a member once removed, get permission-denied", async () => {
    const ids = await received({ kind: "image", bytes: randomBytes(20_000), mimetype: "image/jpeg" });
    const outsider = await stack().client("mallory");
    assert.equal(await codeOf(outsider.call("whatsappProxyGetMediaUrl", ids)), "permission-denied");
    const bob = await stack().client("bob");
    await admin.call("whatsappProxySetAccountMembers", { accountId, memberUids: [alice.uid, bob.uid] });
    assert.equal(await codeOf(bob.call("whatsappProxyGetMediaUrl", ids)), "ok");
    await admin.call("whatsappProxySetAccountMembers", { accountId, memberUids: [alice.uid] });
    assert.equal(await codeOf(bob.call("whatsappProxyGetMediaUrl", ids)), "permission-denied");
  });

  /** The account's one thread with the contact (the contact's first file opened it). */
  const contactThread = async () =>
    (await adminDb().collection("threads").where("peerJid", "==", "40712345678@s.whatsapp.net").get()).docs[0]!.id;

  /** Creates an upload for `file` in `threadId`, PUTs it, and answers the upload id. */
  async function uploaded(
    client: Client,
    threadId: string,
    file: { kind: string; contentType: string; bytes: Buffer; fileName?: string; seconds?: number },
  ): Promise<string> {
    const { bytes, ...declared } = file;
    const upload = await client.call<{ uploadId: string; url: string; headers: Record<string, string> }>(
      "whatsappProxyCreateUpload",
      { accountId, threadId, size: bytes.length, ...declared },
    );
    const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: bytes });
    assert.equal(put.status, 200, `the PUT is taken: ${await put.text()}`);
    return upload.uploadId;
  }

  it("a member uploads a photo and sends it with a caption: the contact decrypts the same bytes", async () => {
    const photo = randomBytes(300_000);
    const threadId = await contactThread();
    const uploadId = await uploaded(alice, threadId, { kind: "image", contentType: "image/jpeg", bytes: photo });
    const { requestId } = await alice.call<{ requestId: string }>("whatsappProxySend", {
      threadId,
      accountId,
      toJid: "+40712345678",
      media: { uploadId, caption: "the new part" },
      clientMessageId: "photo-1",
    });
    const got = await contact.nextMessage((m) => m.media?.kind === "image", 30_000);
    assert.ok(got.media!.bytes.equals(photo), "the same bytes");
    assert.deepEqual([got.media!.caption, got.media!.mimetype], ["the new part", "image/jpeg"]);
    const message = (await adminDb().doc(paths.threadMessage(threadId, requestId)).get()).data()!;
    assert.deepEqual([message.kind, message.text, message.mediaStatus], ["image", "the new part", "stored"]);
    assert.equal(message.media.path, `media/${accountId}/${threadId}/${requestId}.${uploadId}`);
    const outbox = (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
    assert.deepEqual(Object.keys(outbox.media).sort(), ["kind", "mimetype", "path", "size"], "no key or WhatsApp path");
  });

  it("a voice note (ogg/opus) reaches the contact as a voice note", async () => {
    const voice = randomBytes(40_000);
    const threadId = await contactThread();
    const uploadId = await uploaded(alice, threadId, {
      kind: "voice",
      contentType: "audio/ogg; codecs=opus",
      bytes: voice,
      seconds: 4,
    });
    await alice.call("whatsappProxySend", {
      threadId,
      accountId,
      toJid: "+40712345678",
      media: { uploadId },
      clientMessageId: "voice-1",
    });
    const got = await contact.nextMessage((m) => m.media?.kind === "audio", 30_000);
    assert.ok(got.media!.bytes.equals(voice));
    assert.deepEqual([got.media!.ptt, got.media!.seconds], [true, 4]);
  });

  it("with the typed client alone: uploadAndSend a document, watch it stored, and read it back through mediaUrl", async () => {
    const gateway = connectGateway(alice.app, { functions: alice.functions });
    const threadId = await contactThread();
    const pdf = randomBytes(50_000);
    const { requestId } = await uploadAndSend(gateway, {
      accountId,
      threadId,
      toJid: "+40712345678",
      clientMessageId: "client-doc-1",
      file: {
        bytes: pdf,
        kind: "document",
        contentType: "application/pdf",
        fileName: "quote.pdf",
        caption: "our quote",
      },
    });
    const got = await contact.nextMessage((m) => m.media?.fileName === "quote.pdf", 30_000);
    assert.ok(got.media!.bytes.equals(pdf));
    let unsubscribe = () => {};
    const shown = await new Promise<ThreadMessage>((resolve, reject) => {
      unsubscribe = watchThreadMessages(
        alice.firestore,
        threadId,
        (messages) => {
          const mine = messages.find((m) => m.id === requestId);
          if (mine) resolve(mine);
        },
        reject,
      );
    }).finally(() => unsubscribe());
    assert.deepEqual(
      [shown.kind, shown.text, shown.mediaStatus, shown.media],
      ["document", "our quote", "stored", { mimetype: "application/pdf", size: pdf.length, fileName: "quote.pdf" }],
    );
    const { url } = await mediaUrl(gateway, { threadId, id: requestId });
    assert.ok(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(pdf), "the member reads the same bytes back");
  });

  it("refuses an over-cap or wrong-type upload at creation, and a PUT of another size by its signature", async () => {
    const create = (request: object) =>
      codeOf(alice.call("whatsappProxyCreateUpload", { accountId, threadId: "media-x", ...request }));
    assert.equal(
      await create({ kind: "image", contentType: "image/jpeg", size: 5 * 1024 * 1024 + 1 }),
      "invalid-argument",
    );
    assert.equal(await create({ kind: "image", contentType: "application/pdf", size: 10 }), "invalid-argument");
    assert.equal(await create({ kind: "voice", contentType: "audio/mpeg", size: 10 }), "invalid-argument");
    const upload = await alice.call<{ url: string; headers: Record<string, string> }>("whatsappProxyCreateUpload", {
      accountId,
      threadId: "media-x",
      kind: "document",
      contentType: "application/pdf",
      size: 1000,
    });
    const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: randomBytes(1001) });
    assert.equal(put.status, 403, "a PUT of another size does not match the signature");
  });

  it("refuses a send naming another user's upload, and one whose bytes were never PUT", async () => {
    const bob = await stack().client("bob-sender");
    await admin.call("whatsappProxySetAccountMembers", { accountId, memberUids: [alice.uid, bob.uid] });
    const threadId = await contactThread();
    const uploadId = await uploaded(alice, threadId, {
      kind: "image",
      contentType: "image/png",
      bytes: randomBytes(5_000),
    });
    const send = (client: Client, id: string, clientMessageId: string) =>
      codeOf(
        client.call("whatsappProxySend", {
          threadId,
          accountId,
          toJid: "+40712345678",
          media: { uploadId: id },
          clientMessageId,
        }),
      );
    assert.equal(await send(bob, uploadId, "theirs-1"), "permission-denied");
    const empty = await alice.call<{ uploadId: string }>("whatsappProxyCreateUpload", {
      accountId,
      threadId,
      kind: "image",
      contentType: "image/png",
      size: 10,
    });
    assert.equal(await send(alice, empty.uploadId, "empty-1"), "failed-precondition");
    await admin.call("whatsappProxySetAccountMembers", { accountId, memberUids: [alice.uid] });
  });

  // Last: it restarts the worker.
  it("a contact's phone that asks for a sent photo again, after a worker restart, gets the whole media message", async () => {
    const photo = randomBytes(80_000);
    const threadId = await contactThread();
    const uploadId = await uploaded(alice, threadId, { kind: "image", contentType: "image/png", bytes: photo });
    await alice.call("whatsappProxySend", {
      threadId,
      accountId,
      toJid: "+40712345678",
      media: { uploadId, caption: "again" },
      clientMessageId: "photo-again",
    });
    const first = await contact.nextMessage((m) => m.media?.caption === "again", 30_000);
    // A restarted worker: Baileys' in-memory copy of the send is gone, only what was kept serves.
    await worker().stop("restart");
    const restarted = await startTestWorker(null, { ...stack().media.workerEnv, WA_WEBSOCKET_URL: edge.url });
    try {
      await eventually("reconnected", async () => edge.online(phoneFor(accountId)), 30_000);
      const before = contact.received.length;
      edge.requestResend(contact, phoneFor(accountId), first.id);
      const again = await eventually("the resend", () => contact.received.slice(before).find((m) => m.id === first.id));
      assert.ok(again.media?.bytes.equals(photo), "the resend carries the file");
    } finally {
      await restarted.stop("test_done");
    }
  });
});
