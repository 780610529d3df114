import assert from "node:assert/strict";
import { decideSend, GatewayError, providerMessageIdFor, type SendSnapshot } from "@wa-gateway/core";

const now = new Date("2026-01-01T12:00:00Z");
const limit = { maxSends: 3, windowSec: 60 };
const req = {
  threadId: "t1",
  accountId: "acc-1",
  toJid: "40712345678@s.whatsapp.net",
  text: "hello",
  clientMessageId: "c1",
};
const alice = { uid: "alice", admin: false };
const fresh = (over: Partial<Extract<SendSnapshot, { kind: "fresh" }>> = {}): SendSnapshot => ({
  kind: "fresh",
  account: { status: "connected", memberUids: ["alice"] },
  thread: undefined,
  rateLimit: undefined,
  ...over,
});

function refused(snap: SendSnapshot, caller = alice): GatewayError {
  try {
    decideSend(snap, req, caller, "req_1", now, limit);
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return err;
  }
  assert.fail("expected a refusal");
}

describe("send decision", () => {
  it("a repeat of an existing request is a duplicate and writes nothing", () => {
    assert.deepEqual(decideSend({ kind: "existing" }, req, alice, "req_1", now, limit), { kind: "duplicate" });
  });

  it("the first sender of a new thread becomes its owner", () => {
    const d = decideSend(fresh(), req, alice, "req_1", now, limit);
    assert.equal(d.kind, "accepted");
    if (d.kind !== "accepted") return;
    assert.equal(d.thread.create, true);
    assert.equal(d.thread.fields.ownerUid, "alice");
    assert.equal(d.outbox.status, "queued");
    assert.equal(d.message.status, "queued");
    assert.equal(d.outbox.providerMessageId, providerMessageIdFor("req_1"));
  });

  it("unknown account is not-found; a caller who is not a member is permission-denied", () => {
    assert.equal(refused(fresh({ account: undefined })).code, "not-found");
    assert.equal(refused(fresh(), { uid: "mallory", admin: false }).code, "permission-denied");
  });

  it("an admin may use any account", () => {
    assert.equal(decideSend(fresh(), req, { uid: "root", admin: true }, "req_1", now, limit).kind, "accepted");
  });

  it("removed and logged-out accounts are failed-precondition; a disconnected one still queues", () => {
    assert.equal(refused(fresh({ account: { status: "removed", memberUids: ["alice"] } })).code, "failed-precondition");
    assert.equal(
      refused(fresh({ account: { status: "logged_out", memberUids: ["alice"] } })).code,
      "failed-precondition",
    );
    const d = decideSend(
      fresh({ account: { status: "disconnected", memberUids: ["alice"] } }),
      req,
      alice,
      "r",
      now,
      limit,
    );
    assert.equal(d.kind, "accepted");
  });

  it("only the owner or a co-writer may send into an existing thread", () => {
    const thread = { ownerUid: "bob", coWriterUids: ["carol"], accountId: "acc-1", peerJid: req.toJid };
    const err = refused(fresh({ thread, account: { status: "connected", memberUids: ["alice", "carol"] } }));
    assert.equal(err.code, "permission-denied");
    assert.equal(err.message, "Only thread owner or co-writers can send messages");
    const carol = { uid: "carol", admin: false };
    const d = decideSend(
      fresh({ thread, account: { status: "connected", memberUids: ["carol"] } }),
      req,
      carol,
      "r",
      now,
      limit,
    );
    assert.equal(d.kind === "accepted" && d.thread.create, false);
  });

  it("a thread is bound to one account and one peer", () => {
    const base = { ownerUid: "alice", coWriterUids: [] };
    assert.match(refused(fresh({ thread: { ...base, accountId: "acc-2", peerJid: req.toJid } })).message, /^threadId:/);
    assert.match(
      refused(fresh({ thread: { ...base, accountId: "acc-1", peerJid: "1234567@s.whatsapp.net" } })).message,
      /^toJid:/,
    );
  });

  it("the rate limit counts within the window and resets after it", () => {
    const start = now.getTime() - 10_000;
    assert.equal(refused(fresh({ rateLimit: { windowStartMs: start, count: 3 } })).code, "resource-exhausted");
    const within = decideSend(fresh({ rateLimit: { windowStartMs: start, count: 2 } }), req, alice, "r", now, limit);
    assert.equal(within.kind === "accepted" && within.rateLimit.count, 3);
    const after = decideSend(
      fresh({ rateLimit: { windowStartMs: now.getTime() - 60_000, count: 99 } }),
      req,
      alice,
      "r",
      now,
      limit,
    );
    assert.equal(after.kind === "accepted" && after.rateLimit.count, 1);
  });

  it("keeps the preview to 120 characters without splitting an emoji", () => {
    const d = decideSend(fresh(), { ...req, text: "😀".repeat(200) }, alice, "r", now, limit);
    assert.equal(d.kind === "accepted" && [...(d.thread.fields.lastMessagePreview as string)].length, 120);
  });
});
