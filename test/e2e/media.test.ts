import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { FirebaseError } from "firebase/app";
import { paths } from "@wa-gateway/core";
import { phoneFor, startFakePhone } from "../../scripts/lib/fakePhone";
import { callablesWithWorker, type Client } from "../support/callableStack";
import { adminDb } from "../support/emulator";
import { FakeWhatsApp, type FakeContact } from "../support/fakeWhatsApp/edge";
import { eventually } from "../support/worker";

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
  const { stack } = callablesWithWorker(null, () => ({ WA_WEBSOCKET_URL: edge.url }));
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
});
