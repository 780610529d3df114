import assert from "node:assert/strict";
import type { TemplateEntry } from "@wa-gateway/core/cloudApi";
import { decideSend, GatewayError, type SendSnapshot } from "@wa-gateway/core/proxies";

const now = new Date("2026-01-01T12:00:00Z");
const alice = { uid: "alice", admin: false };
const thread = { ownerUid: "alice", coWriterUids: [], accountId: "acc-1", peerJid: "40712345678@s.whatsapp.net" };
const req = {
  threadId: "t1",
  accountId: "acc-1",
  toJid: "40712345678@s.whatsapp.net",
  template: { name: "order_update", language: "en_US", parameters: ["A-17", "Friday"] },
  clientMessageId: "c1",
};
const approved: TemplateEntry = {
  name: "order_update",
  language: "en_US",
  status: "APPROVED",
  category: "UTILITY",
  body: "Your order {{1}} ships on {{2}}.",
  parameterCount: 2,
  sendable: true,
};
/** A template send into a Cloud API account's thread (its window is not read: a template needs none). */
const cloud = (template: TemplateEntry | null, over: Partial<Extract<SendSnapshot, { kind: "fresh" }>> = {}) =>
  ({
    kind: "fresh",
    account: { status: "connected" as const, memberUids: ["alice"], transport: "cloud_api" as const },
    thread,
    peerThreadId: null,
    optOut: undefined,
    template,
    ...over,
  }) satisfies SendSnapshot;

function refusal(snap: SendSnapshot, request = req): GatewayError {
  const decision = decideSend(snap, request, alice, "req_1", now);
  assert.equal(decision.kind, "refused");
  return (decision as { error: GatewayError }).error;
}

describe("a template send's decision", () => {
  it("takes an approved template outside the window, queuing Meta's template and showing its body filled in", () => {
    const d = decideSend(cloud(approved), req, alice, "req_1", now);
    assert.equal(d.kind, "accepted");
    if (d.kind !== "accepted") return;
    assert.deepEqual(d.outbox.template, req.template);
    assert.equal(d.outbox.text, "Your order A-17 ships on Friday.");
    assert.equal(d.message.text, "Your order A-17 ships on Friday.");
  });

  it("a template to a new contact does not wait for the linked devices' new-contact budget: Meta sets the Cloud API's limits", () => {
    const d = decideSend(cloud(approved, { thread: undefined }), { ...req, threadId: "t-new" }, alice, "req_1", now);
    assert.equal(d.kind, "accepted");
    assert.equal(d.kind === "accepted" && d.outbox.firstContact, false);
  });

  it("refuses a template the account's catalogue does not have, naming it", () => {
    const error = refusal(cloud(null));
    assert.equal(error.code, "not-found");
    assert.match(error.message, /order_update \(en_US\) is not among this account's templates/);
  });

  it("refuses one Meta has not approved, naming its status", () => {
    const error = refusal(cloud({ ...approved, status: "PENDING" }));
    assert.equal(error.code, "failed-precondition");
    assert.match(error.message, /is PENDING at Meta/);
  });

  it("refuses the wrong number of body parameters, saying how many it takes", () => {
    const error = refusal(cloud(approved), { ...req, template: { ...req.template, parameters: ["A-17"] } });
    assert.equal(error.code, "invalid-argument");
    assert.match(error.message, /takes 2 body parameter\(s\), got 1/);
  });

  it("refuses one whose header or buttons need parameters the gateway does not fill in", () => {
    assert.equal(refusal(cloud({ ...approved, sendable: false })).code, "failed-precondition");
  });

  it("refuses any template on an account linked through WhatsApp Web", () => {
    const linked = {
      ...cloud(approved),
      account: { status: "connected" as const, memberUids: ["alice"] },
      template: undefined,
    };
    const error = refusal(linked);
    assert.equal(error.code, "failed-precondition");
    assert.match(error.message, /Cloud API accounts only/);
  });

  it("still refuses a non-member first, whatever the template", () => {
    const decision = decideSend(cloud(approved), req, { uid: "mallory", admin: false }, "req_1", now);
    assert.equal(decision.kind === "refused" && decision.error.code, "permission-denied");
  });
});
