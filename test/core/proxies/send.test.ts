import assert from "node:assert/strict";
import {
  decideSend,
  GatewayError,
  providerMessageIdFor,
  rateWindow,
  type SendSnapshot,
} from "@wa-gateway/core/proxies";

const now = new Date("2026-01-01T12:00:00Z");
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
  peerThreadId: null,
  optOut: undefined,
  ...over,
});

/** The error of a refused send (thrown, or refused after counting the rate limit). */
function refused(snap: SendSnapshot, caller: Parameters<typeof decideSend>[2] = alice, request = req): GatewayError {
  try {
    const decision = decideSend(snap, request, caller, "req_1", now);
    if (decision.kind === "refused") return decision.error;
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return err;
  }
  assert.fail("expected a refusal");
}

describe("send decision", () => {
  it("a repeat of an existing request is a duplicate and writes nothing", () => {
    assert.deepEqual(decideSend({ kind: "existing" }, req, alice, "req_1", now), { kind: "duplicate" });
  });

  it("the first sender of a new thread becomes its owner", () => {
    const d = decideSend(fresh(), req, alice, "req_1", now);
    assert.equal(d.kind, "accepted");
    if (d.kind !== "accepted") return;
    assert.equal(d.thread.create, true);
    assert.equal(d.thread.fields.ownerUid, "alice");
    assert.equal(d.outbox.status, "queued");
    assert.equal(d.message.status, "queued");
    assert.equal(d.outbox.providerMessageId, providerMessageIdFor("req_1"));
  });

  it("marks a first message to a new contact as such, and no message in a thread that exists", () => {
    const firstContact = (snap: SendSnapshot, request = req, caller: Parameters<typeof decideSend>[2] = alice) => {
      const d = decideSend(snap, request, caller, "req_1", now);
      assert.equal(d.kind, "accepted");
      return d.kind === "accepted" && d.outbox.firstContact;
    };
    assert.equal(firstContact(fresh()), true);
    const opened = { ownerUid: null, coWriterUids: [], accountId: "acc-1", peerJid: req.toJid };
    assert.equal(firstContact(fresh({ thread: opened })), false, "a thread the contact opened");
    assert.equal(firstContact(fresh({ thread: { ...opened, ownerUid: "alice" } })), false, "a later message");
    const system = { uid: "system", admin: true, system: true } as const;
    assert.equal(firstContact(fresh(), { ...req, threadId: "longrun-probe_out_1" }, system), false, "a probe");
  });

  it("unknown account is not-found; a caller who is not a member is permission-denied", () => {
    assert.equal(refused(fresh({ account: undefined })).code, "not-found");
    assert.equal(refused(fresh(), { uid: "mallory", admin: false }).code, "permission-denied");
  });

  it("an admin may use any account", () => {
    assert.equal(decideSend(fresh(), req, { uid: "root", admin: true }, "req_1", now).kind, "accepted");
  });

  it("removed and logged-out accounts are failed-precondition; a disconnected one still queues", () => {
    assert.equal(refused(fresh({ account: { status: "removed", memberUids: ["alice"] } })).code, "failed-precondition");
    assert.equal(
      refused(fresh({ account: { status: "logged_out", memberUids: ["alice"] } })).code,
      "failed-precondition",
    );
    const d = decideSend(fresh({ account: { status: "disconnected", memberUids: ["alice"] } }), req, alice, "r", now);
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

  it("a @lid contact is answered in the thread their message opened, and cannot start a new one", () => {
    const lidReq = { ...req, toJid: "98765432109876@lid" };
    const inbound = { ownerUid: null, coWriterUids: [], accountId: "acc-1", peerJid: "98765432109876@lid" };
    assert.equal(decideSend(fresh({ thread: inbound }), lidReq, alice, "req_1", now).kind, "accepted");
    assert.match(refused(fresh(), alice, lidReq).message, /^toJid: a @lid contact can only be answered/);
  });

  it("rate-limit windows are aligned to the epoch; their slots may go one window after their end", () => {
    const limit = { maxSends: 3, windowSec: 60 };
    const w = rateWindow(now, limit);
    assert.equal(w.start.getTime(), Math.floor(now.getTime() / 60_000) * 60_000);
    assert.equal(w.expireAt.getTime() - w.start.getTime(), 120_000);
    assert.equal(rateWindow(new Date(w.start.getTime() + 59_999), limit).index, w.index);
    assert.equal(rateWindow(new Date(w.start.getTime() + 60_000), limit).index, w.index + 1);
  });

  it("an accepted send into an existing thread writes no thread fields in the transaction; the summary moves after", () => {
    const owned = { ownerUid: "alice", coWriterUids: [], accountId: "acc-1", peerJid: req.toJid };
    const d = decideSend(fresh({ thread: owned }), req, alice, "r", now);
    assert.ok(d.kind === "accepted");
    assert.deepEqual(d.thread, { create: false, claimBy: null });
    assert.deepEqual(d.summary, { lastMessageAt: now, lastMessagePreview: "hello" });
    const claimed = decideSend(fresh({ thread: { ...owned, ownerUid: null } }), req, alice, "r", now);
    assert.ok(claimed.kind === "accepted");
    assert.deepEqual(claimed.thread, { create: false, claimBy: "alice" }, "the first reply claims an unowned thread");
  });

  it("keeps the preview to 120 characters without splitting an emoji", () => {
    const d = decideSend(fresh(), { ...req, text: "😀".repeat(200) }, alice, "r", now);
    assert.equal(d.kind === "accepted" && [...d.summary.lastMessagePreview].length, 120);
  });

  it("one thread per account and peer: a new thread with a peer the account already talks to is refused", () => {
    const err = refused(fresh({ peerThreadId: "bobs-thread" }));
    assert.equal(err.code, "failed-precondition");
    assert.match(err.message, /already has a thread with this peer: bobs-thread/);
    const d = decideSend(fresh(), req, alice, "req_1", now);
    assert.equal(
      d.kind === "accepted" && d.thread.create && d.thread.indexPeer,
      true,
      "a new thread becomes the account's one with the peer",
    );
  });

  it("probe threads are reserved for the gateway itself", () => {
    const probeReq = { ...req, threadId: "longrun-probe_acc-1" };
    assert.equal(refused(fresh(), { uid: "root", admin: true }, probeReq).code, "invalid-argument");
    const d = decideSend(
      fresh({ peerThreadId: "someone-elses" }),
      probeReq,
      { uid: "probe", admin: true, system: true },
      "req_1",
      now,
    );
    assert.equal(d.kind, "accepted", "a user's thread with the probe peer does not block the probe");
    assert.equal(d.kind === "accepted" && d.thread.create && d.thread.indexPeer, false);
  });

  it("a queued entry has no expiry: its TTL starts only once it is final", () => {
    const d = decideSend(fresh(), req, alice, "req_1", now);
    assert.equal(d.kind === "accepted" && d.outbox.expireAt, null);
  });

  it("a contact who opted out is refused with failed-precondition, naming why and how to clear it; the limit counted before", () => {
    const d = decideSend(fresh({ optOut: { keyword: "STOP" } }), req, alice, "req_1", now);
    assert.equal(d.kind, "refused");
    if (d.kind !== "refused") return;
    assert.equal(d.error.code, "failed-precondition");
    assert.match(d.error.message, /^toJid: this contact opted out of messages from this account \(they wrote STOP\)/);
    assert.match(
      d.error.message,
      /write START, or an admin can clear it with npm run opt-out -- clear acc-1 40712345678@s\.whatsapp\.net/,
    );
    const thread = { ownerUid: "alice", coWriterUids: [], accountId: "acc-1", peerJid: req.toJid };
    assert.equal(
      refused(fresh({ optOut: { keyword: "BAJA" }, thread })).code,
      "failed-precondition",
      "in an existing thread too",
    );
    const probe = decideSend(
      fresh({ optOut: { keyword: "STOP" } }),
      { ...req, threadId: "longrun-probe_acc-1" },
      { uid: "probe", admin: true, system: true },
      "req_1",
      now,
    );
    assert.equal(probe.kind, "refused", "the gateway's probes are refused too");
  });

  it("the opt-out is said only to a caller who may send there: a non-member hears permission-denied", () => {
    assert.equal(
      refused(fresh({ optOut: { keyword: "STOP" } }), { uid: "mallory", admin: false }).code,
      "permission-denied",
    );
  });
});

describe("a Cloud API account's 24-hour customer service window", () => {
  const thread = { ownerUid: "alice", coWriterUids: [], accountId: "acc-1", peerJid: req.toJid };
  const wrote = (hoursAgo: number | null) =>
    fresh({
      thread,
      serviceWindow: { customerWroteAtMs: hoursAgo === null ? null : now.getTime() - hoursAgo * 3_600_000 },
    });

  it("takes free-form text while the customer wrote within 24 hours", () => {
    assert.equal(decideSend(wrote(23.9), req, alice, "req_1", now).kind, "accepted");
  });

  it("refuses it, naming the window, once 24 hours have passed or before the customer wrote at all", () => {
    for (const hoursAgo of [24, 30, null]) {
      const error = refused(wrote(hoursAgo));
      assert.equal(error.code, "failed-precondition");
      assert.match(error.message, /24-hour customer service window/);
    }
  });

  it("does not apply to a linked (Baileys) account, which has no window", () => {
    assert.equal(decideSend(fresh({ thread }), req, alice, "req_1", now).kind, "accepted");
  });
});
