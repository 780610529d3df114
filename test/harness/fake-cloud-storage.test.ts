import assert from "node:assert/strict";
import { deleteApp, initializeApp, cert, type App } from "firebase-admin/app";
import { getStorage } from "firebase-admin/storage";
import { FakeCloudStorage, testSigningKey } from "../support/fakeCloudStorage";

const BUCKET = "demo-wa-gateway.appspot.com";

/**
 * The Cloud Storage fake against the real client (firebase-admin/storage, which is
 * @google-cloud/storage): what the media capability will store, read and sign URLs for.
 */
describe("the Cloud Storage fake, driven by the real client library", function () {
  this.timeout(30_000);
  let storage: FakeCloudStorage;
  let app: App;
  const { key, publicKey } = testSigningKey();
  const bucket = () => getStorage(app).bucket(BUCKET);

  before(async () => {
    storage = await FakeCloudStorage.start();
    storage.trustSigner(key.client_email, publicKey);
    process.env.STORAGE_EMULATOR_HOST = storage.url;
    app = initializeApp(
      {
        projectId: "demo-wa-gateway",
        credential: cert({ projectId: "demo-wa-gateway", clientEmail: key.client_email, privateKey: key.private_key }),
      },
      `fake-storage-${Date.now()}`,
    );
  });
  after(async () => {
    delete process.env.STORAGE_EMULATOR_HOST;
    await deleteApp(app);
    await storage.close();
  });

  it("stores what a multipart upload sends and serves it back, with its metadata", async () => {
    const photo = Buffer.from("a small photo's bytes");
    await bucket().file("media/acc-1/t1/m1").save(photo, { resumable: false, contentType: "image/jpeg" });
    const [downloaded] = await bucket().file("media/acc-1/t1/m1").download();
    assert.deepEqual(downloaded, photo);
    const [metadata] = await bucket().file("media/acc-1/t1/m1").getMetadata();
    assert.deepEqual([metadata.contentType, metadata.size], ["image/jpeg", String(photo.length)]);
  });

  it("takes a resumable upload, lists by prefix, and deletes", async () => {
    const video = Buffer.alloc(300_000, 7);
    await bucket().file("media/acc-1/t2/v1").save(video, { resumable: true, contentType: "video/mp4" });
    assert.deepEqual(storage.object(BUCKET, "media/acc-1/t2/v1")?.data.length, video.length);
    const [files] = await bucket().getFiles({ prefix: "media/acc-1/" });
    assert.deepEqual(files.map((f) => f.name).sort(), ["media/acc-1/t1/m1", "media/acc-1/t2/v1"]);
    await bucket().file("media/acc-1/t2/v1").delete();
    assert.equal(storage.object(BUCKET, "media/acc-1/t2/v1"), undefined);
  });

  it("serves a V4 signed GET, and refuses one whose signature or expiry does not hold", async () => {
    const [signed] = await bucket()
      .file("media/acc-1/t1/m1")
      .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + 60_000 });
    assert.ok(signed.startsWith(storage.url), signed);
    const ok = await fetch(signed);
    assert.equal(ok.status, 200);
    assert.equal(Buffer.from(await ok.arrayBuffer()).toString(), "a small photo's bytes");

    const tampered = signed.replace("media%2Facc-1", "media%2Facc-2").replace("/media/acc-1/", "/media/acc-2/");
    assert.equal((await fetch(tampered)).status, 403);
    // The URL lives a minute: two minutes on, Cloud Storage refuses it.
    storage.now = () => Date.now() + 120_000;
    try {
      assert.equal((await fetch(signed)).status, 403);
    } finally {
      storage.now = Date.now;
    }
    assert.deepEqual(storage.refusals.slice(-2), ["the signature does not match the request", "expired"]);
  });

  it("takes a V4 signed PUT of exactly the signed type and size, and refuses any other", async () => {
    const file = bucket().file("uploads/alice/u1");
    const [put] = await file.getSignedUrl({
      version: "v4",
      action: "write",
      expires: Date.now() + 60_000,
      contentType: "application/pdf",
      extensionHeaders: { "content-length": "11" },
    });
    const wrongType = await fetch(put, {
      method: "PUT",
      body: "hello world",
      headers: { "content-type": "image/png" },
    });
    assert.equal(wrongType.status, 403);
    const wrongSize = await fetch(put, {
      method: "PUT",
      body: "hello world!",
      headers: { "content-type": "application/pdf" },
    });
    assert.equal(wrongSize.status, 403);
    assert.equal(storage.object(BUCKET, "uploads/alice/u1"), undefined);
    const right = await fetch(put, {
      method: "PUT",
      body: "hello world",
      headers: { "content-type": "application/pdf" },
    });
    assert.equal(right.status, 200);
    const [metadata] = await file.getMetadata();
    assert.deepEqual([metadata.contentType, metadata.size], ["application/pdf", "11"]);
  });
});
