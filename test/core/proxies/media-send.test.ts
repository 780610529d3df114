import assert from "node:assert/strict";
import { attachMedia, GatewayError, type MediaSendStore, type UploadView } from "@wa-gateway/core/proxies";

const NOW = new Date("2026-12-04T10:00:00Z");
const upload = (id: string, size: number, contentType: string): UploadView => ({
  uid: "alice",
  accountId: "acc-1",
  threadId: "t1",
  kind: contentType.startsWith("image/") ? "image" : "document",
  contentType,
  size,
  path: `uploads/alice/${id}`,
  expiresAtMs: NOW.getTime() + 3_600_000,
});

/** Uploads and objects in memory; `copies` records each copy's source and target. */
function store(uploads: UploadView[]) {
  const objects = new Map(uploads.map((u) => [u.path, { size: u.size, contentType: u.contentType }]));
  const copies: [string, string][] = [];
  const s: MediaSendStore = {
    upload: async (id) => uploads.find((u) => u.path.endsWith(`/${id}`)),
    stat: async (path) => objects.get(path),
    copy: async (from, to) => {
      copies.push([from, to]);
      objects.set(to, objects.get(from)!);
    },
  };
  return { s, copies, objects };
}

const request = (uploadId: string) => ({
  threadId: "t1",
  accountId: "acc-1",
  toJid: "40712345678@s.whatsapp.net",
  clientMessageId: "c1",
  media: { uploadId },
});

describe("a send's file, checked and put in place (attachMedia)", () => {
  const alice = { uid: "alice", admin: false };

  it("two racing calls of one request with different uploads copy to two objects: neither overwrites the other's", async () => {
    const small = upload("smallPhotoUpload01", 1000, "image/jpeg");
    const big = upload("bigDocumentUpload01", 90_000_000, "application/pdf");
    const { s, objects } = store([small, big]);
    const [a, b] = await Promise.all([
      attachMedia(s, alice, request("smallPhotoUpload01"), "req_1", NOW),
      attachMedia(s, alice, request("bigDocumentUpload01"), "req_1", NOW),
    ]);
    assert.notEqual(a.path, b.path);
    assert.deepEqual(
      objects.get(a.path),
      { size: 1000, contentType: "image/jpeg" },
      "what the small upload's entry names",
    );
  });

  it("refuses another user's upload before copying anything", async () => {
    const { s, copies } = store([{ ...upload("theirUploadId00001", 10, "image/png"), uid: "bob" }]);
    const err = await attachMedia(s, alice, request("theirUploadId00001"), "req_2", NOW).catch((e: unknown) => e);
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, "permission-denied");
    assert.deepEqual(copies, []);
  });
});
