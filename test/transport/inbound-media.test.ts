import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import { FieldValue } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { adminDb, resetFirestore } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";
import { FakeCloudStorage } from "../support/fakeCloudStorage";
import { seedAccount } from "../support/fixtures";
import { eventually, workersPerTest } from "../support/worker";
import { scanThroughRefresh } from "../support/whatsappWorlds";

const ACCOUNT_PHONE = "4915100000099";
const BUCKET = "demo-wa-gateway-media";
const account = async () => (await adminDb().doc(paths.account("acc-1")).get()).data()!;
/** The one thread message stored under WhatsApp id `id`, once there. */
const storedUnder = (id: string) =>
  eventually(`message ${id} stored`, async () => {
    const docs = (await adminDb().collectionGroup("messages").where("providerMessageId", "==", id).get()).docs;
    return docs[0];
  });
/** The message once its media status is no longer pending. */
const settled = (id: string) =>
  eventually(
    `message ${id}'s media settled`,
    async () => {
      const doc = await storedUnder(id);
      const fresh = (await doc.ref.get()).data()!;
      return fresh.mediaStatus !== "pending" ? fresh : undefined;
    },
    30_000,
  );
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * A contact's photos, voice notes and documents reach Cloud Storage: the real Baileys socket
 * downloads what the contact's phone encrypted and uploaded to WhatsApp's media host (the fake
 * edge, HTTPS with the test CA), and the worker streams it into the bucket (the Storage fake).
 */
describe("inbound media on Baileys: WhatsApp's media host → worker → Cloud Storage", function () {
  this.timeout(90_000);
  const workers = workersPerTest();
  let edge: FakeWhatsApp;
  let storage: FakeCloudStorage;
  let contact: FakeContact;

  const startWorker = () =>
    workers.start(null, {
      WA_WEBSOCKET_URL: edge.url,
      STORAGE_EMULATOR_HOST: storage.url,
      MEDIA_BUCKET: BUCKET,
      MEDIA_RETRY_BASE_MS: "200",
      MEDIA_MAX_ATTEMPTS: "3",
      DORMANT_SWEEP_SEC: "1",
    });

  async function linked(): Promise<void> {
    await startWorker();
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const qr = await eventually("a QR on the account document", async () => (await account()).qr as string);
    await scanThroughRefresh(edge, qr, ACCOUNT_PHONE);
    await eventually("connected", async () => (await account()).status === "connected");
  }

  beforeEach(async () => {
    await resetFirestore();
    edge = await FakeWhatsApp.start();
    storage = await FakeCloudStorage.start();
    contact = await edge.addContact("4915100000001", "Customer");
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(edge.log.join("\n"));
    await edge.close();
    await storage.close();
  });

  it("stores a photo's exact bytes at media/{account}/{thread}/{message}, with its caption, type, size and hash", async () => {
    await linked();
    const photo = randomBytes(200_000);
    const { id } = await edge.sendMediaFromContact(contact, ACCOUNT_PHONE, {
      kind: "image",
      bytes: photo,
      mimetype: "image/jpeg",
      caption: "the broken part",
      width: 640,
      height: 480,
    });
    const first = (await storedUnder(id)).data();
    assert.equal(first.kind, "image");
    assert.equal(first.text, "the broken part");
    const message = await settled(id);
    assert.equal(message.mediaStatus, "stored");
    const threadId = (await storedUnder(id)).ref.parent.parent!.id;
    const path = `media/acc-1/${threadId}/${(await storedUnder(id)).id}`;
    assert.deepEqual(message.media, {
      path,
      mimetype: "image/jpeg",
      size: photo.length,
      sha256: sha256(photo),
      width: 640,
      height: 480,
    });
    const object = storage.object(BUCKET, path);
    assert.ok(object, `object ${path} stored`);
    assert.deepEqual([object.contentType, object.data.equals(photo)], ["image/jpeg", true]);
    assert.equal((await adminDb().collection("mediaDownloads").get()).size, 0, "the download is done");
  });

  it("stores a voice note as kind voice and a document with its file name", async () => {
    await linked();
    const voice = randomBytes(30_000);
    const pdf = randomBytes(120_000);
    const note = await edge.sendMediaFromContact(contact, ACCOUNT_PHONE, {
      kind: "audio",
      ptt: true,
      bytes: voice,
      mimetype: "audio/ogg; codecs=opus",
      seconds: 7,
    });
    const invoice = await edge.sendMediaFromContact(contact, ACCOUNT_PHONE, {
      kind: "document",
      bytes: pdf,
      mimetype: "application/pdf",
      fileName: "invoice-42.pdf",
    });
    const [noteMessage, invoiceMessage] = [await settled(note.id), await settled(invoice.id)];
    assert.deepEqual([noteMessage.kind, noteMessage.mediaStatus, noteMessage.media.seconds], ["voice", "stored", 7]);
    assert.ok(storage.object(BUCKET, noteMessage.media.path)!.data.equals(voice));
    assert.deepEqual(
      [invoiceMessage.kind, invoiceMessage.mediaStatus, invoiceMessage.media.fileName, invoiceMessage.text],
      ["document", "stored", "invoice-42.pdf", "invoice-42.pdf"],
    );
    assert.ok(storage.object(BUCKET, invoiceMessage.media.path)!.data.equals(pdf));
  });

  it("asks the sender's phone to upload a file again when WhatsApp's CDN answers 404, then stores it", async () => {
    await linked();
    const photo = randomBytes(50_000);
    // The CDN has already dropped the file when the worker first asks for it.
    const { id, directPath } = await edge.sendMediaFromContact(
      contact,
      ACCOUNT_PHONE,
      { kind: "image", bytes: photo, mimetype: "image/jpeg" },
      { cdn: "expired" },
    );
    const message = await settled(id);
    assert.equal(message.mediaStatus, "stored");
    assert.ok(storage.object(BUCKET, message.media.path)!.data.equals(photo));
    assert.ok(
      edge.media.downloads.some((d) => d.directPath === directPath && d.status === 404),
      "the first download met the expired file",
    );
    assert.ok(edge.log.includes(`media retry for ${id}: uploaded again`), "the phone was asked to upload it again");
  });

  it("tries a download the CDN fails again after its backoff, with no new message to prompt it", async () => {
    await linked();
    const photo = randomBytes(30_000);
    const { id } = await edge.sendMediaFromContact(
      contact,
      ACCOUNT_PHONE,
      { kind: "image", bytes: photo, mimetype: "image/jpeg" },
      { cdn: "fails-once" },
    );
    const message = await settled(id);
    assert.equal(message.mediaStatus, "stored");
    assert.ok(storage.object(BUCKET, message.media.path)!.data.equals(photo));
    assert.deepEqual(
      edge.media.downloads.map((d) => d.status),
      [503, 200],
      "one failure, then the retry",
    );
  });

  it("refuses a file whose bytes do not match the SHA-256 its message declares: failed, nothing kept", async () => {
    await linked();
    const { id } = await edge.sendMediaFromContact(contact, ACCOUNT_PHONE, {
      kind: "document",
      bytes: randomBytes(10_000),
      mimetype: "application/pdf",
      fileName: "forged.pdf",
      wrongSha256: true,
    });
    const message = await settled(id);
    assert.equal(message.mediaStatus, "failed");
    assert.equal(message.media.path, null);
    assert.deepEqual(storage.names(BUCKET), [], "no object kept");
  });

  it("records a file over its kind's cap as too_large and never fetches it", async () => {
    await linked();
    const { id, directPath } = await edge.sendMediaFromContact(contact, ACCOUNT_PHONE, {
      kind: "image",
      bytes: randomBytes(5 * 1024 * 1024 + 16),
      mimetype: "image/jpeg",
    });
    const message = await settled(id);
    assert.equal(message.mediaStatus, "too_large");
    assert.equal(message.media.size, 5 * 1024 * 1024 + 16);
    assert.ok(!edge.media.downloads.some((d) => d.directPath === directPath), "never downloaded");
  });

  it("deletes a removed account's files with it, and marks them cleared", async () => {
    await linked();
    const { id } = await edge.sendMediaFromContact(contact, ACCOUNT_PHONE, {
      kind: "image",
      bytes: randomBytes(10_000),
      mimetype: "image/jpeg",
    });
    assert.equal((await settled(id)).mediaStatus, "stored");
    // Another account's file stays.
    storage.put(BUCKET, "media/acc-2/t1/in_x", Buffer.from("theirs"), "image/jpeg");
    await adminDb().doc(paths.account("acc-1")).update({ status: "removed", removedAt: FieldValue.serverTimestamp() });
    await eventually("media cleared", async () => (await account()).mediaClearedAt, 30_000);
    assert.deepEqual(storage.names(BUCKET), ["media/acc-2/t1/in_x"]);
  });
});
