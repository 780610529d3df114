import assert from "node:assert/strict";
import { GatewayError, handleGetMediaUrl, type MediaUrlDeps, type MediaUrlView } from "@wa-gateway/core/proxies";

const NOW = new Date("2026-12-04T10:00:00Z");
const stored = (): MediaUrlView => ({
  thread: { ownerUid: "alice", coWriterUids: [], accountId: "acc-1" },
  account: { memberUids: ["alice", "carol"] },
  message: {
    media: { path: "media/acc-1/t1/in_m1", mimetype: "application/pdf", size: 11, sha256: "ab", fileName: "a.pdf" },
    mediaStatus: "stored",
    deleted: false,
  },
});

/** The handler over a view; `signed` records what was signed, until when. */
function deps(view: MediaUrlView | undefined) {
  const signed: { path: string; expiresAt: Date }[] = [];
  const d: MediaUrlDeps = {
    read: async () => view,
    sign: async (path, expiresAt) => {
      signed.push({ path, expiresAt });
      return `https://storage.example/${path}?sig`;
    },
    now: () => NOW,
    ttlSec: 300,
  };
  return { d, signed };
}

async function refusal(
  view: MediaUrlView | undefined,
  uid: string,
  data: unknown = { threadId: "t1", messageId: "in_m1" },
) {
  const { d, signed } = deps(view);
  const err = await handleGetMediaUrl(d, { uid, admin: false }, data).then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GatewayError);
  assert.deepEqual(signed, [], "nothing signed for a refusal");
  return err;
}

describe("whatsappProxyGetMediaUrl's decision", () => {
  it("signs the stored file's path for the thread's owner, for as long as the URL lives", async () => {
    const { d, signed } = deps(stored());
    const answer = await handleGetMediaUrl(d, { uid: "alice", admin: false }, { threadId: "t1", messageId: "in_m1" });
    assert.deepEqual(signed, [{ path: "media/acc-1/t1/in_m1", expiresAt: new Date("2026-12-04T10:05:00Z") }]);
    assert.deepEqual(answer, {
      success: true,
      url: "https://storage.example/media/acc-1/t1/in_m1?sig",
      expiresAt: "2026-12-04T10:05:00.000Z",
      mimetype: "application/pdf",
      size: 11,
      fileName: "a.pdf",
    });
  });

  it("refuses a member who does not write the owned thread, an outsider and a missing thread alike", async () => {
    for (const [view, uid] of [
      [stored(), "carol"],
      [stored(), "erin"],
      [undefined, "alice"],
    ] as const) {
      const err = await refusal(view, uid);
      assert.deepEqual([err.code, err.message], ["permission-denied", "threadId: no thread you may read"]);
    }
  });

  it("refuses the owner once removed from the account's members", async () => {
    const view = { ...stored(), account: { memberUids: ["carol"] } };
    assert.equal((await refusal(view, "alice")).code, "permission-denied");
  });

  it("says which file is not there to read: no message, no file, not stored yet", async () => {
    assert.equal((await refusal({ ...stored(), message: undefined }, "alice")).code, "not-found");
    const noFile = { ...stored(), message: { media: null, mediaStatus: null, deleted: false } };
    assert.equal((await refusal(noFile, "alice")).message, "messageId: the message has no file");
    const pending = { ...stored(), message: { ...stored().message!, mediaStatus: "pending" as const } };
    const err = await refusal(pending, "alice");
    assert.deepEqual([err.code, err.message], ["failed-precondition", "messageId: the file is pending"]);
    const deleted = { ...stored(), message: { ...stored().message!, deleted: true } };
    assert.equal((await refusal(deleted, "alice")).message, "messageId: the message was deleted");
  });

  it("refuses a malformed request before reading anything", async () => {
    const err = await refusal(stored(), "alice", { threadId: "t1", messageId: "../../etc" });
    assert.equal(err.code, "invalid-argument");
  });
});
