import assert from "node:assert/strict";
import { inboundOfCloudMessage, receiptOfCloudStatus, type CloudMessage } from "@wa-gateway/core/cloudApi";

const message = (type: string, fields: Record<string, unknown>): CloudMessage => ({
  id: "wamid.IN1",
  from: "4915100000001",
  timestamp: "1764700000",
  type,
  ...fields,
});

describe("a Cloud API webhook message in the transports' common terms", () => {
  it("a text is a text from the customer's number, at Meta's time", () => {
    assert.deepEqual(inboundOfCloudMessage(message("text", { text: { body: "hello" } })), {
      messageId: "wamid.IN1",
      fromJid: "4915100000001@s.whatsapp.net",
      kind: "text",
      text: "hello",
      timestamp: new Date(1764700000 * 1000),
    });
  });

  it("media keeps its kind and caption (a voice note is voice, a document shows its file name)", () => {
    const kinds = [
      message("image", { image: { id: "m1", caption: "the broken part" } }),
      message("audio", { audio: { id: "m2", voice: true } }),
      message("audio", { audio: { id: "m3" } }),
      message("document", { document: { id: "m4", filename: "invoice.pdf" } }),
    ].map((m) => {
      const inbound = inboundOfCloudMessage(m)!;
      return [inbound.kind, inbound.text];
    });
    assert.deepEqual(kinds, [
      ["image", "the broken part"],
      ["voice", ""],
      ["audio", ""],
      ["document", "invoice.pdf"],
    ]);
  });

  it("a reaction changes the business's message it names", () => {
    const inbound = inboundOfCloudMessage(
      message("reaction", { reaction: { message_id: "wamid.OUT1", emoji: "👍" } }),
    )!;
    assert.deepEqual(inbound.change, {
      target: { messageId: "wamid.OUT1", fromMe: true },
      type: "reaction",
      emoji: "👍",
    });
  });

  it("a button or list reply is the text the customer chose", () => {
    const reply = message("interactive", {
      interactive: { type: "button_reply", button_reply: { id: "b1", title: "Yes" } },
    });
    assert.equal(inboundOfCloudMessage(reply)!.text, "Yes");
  });

  it("a type the gateway does not know is stored as unknown, and a system notice is no message", () => {
    assert.equal(inboundOfCloudMessage(message("order", { order: {} }))!.kind, "unknown");
    assert.equal(inboundOfCloudMessage(message("system", { system: { body: "changed number" } })), undefined);
  });
});

describe("a Cloud API status as a receipt of one of our sends", () => {
  const status = (value: string, extra: Record<string, unknown> = {}) => ({
    id: "wamid.OUT1",
    status: value,
    timestamp: "1764700001",
    ...extra,
  });

  it("delivered and read are receipts under the send's wamid; sent is Meta's acceptance", () => {
    assert.deepEqual(
      ["sent", "delivered", "read"].map((s) => receiptOfCloudStatus(status(s))),
      ["sent", { messageId: "wamid.OUT1", status: "delivered" }, { messageId: "wamid.OUT1", status: "read" }],
    );
  });

  it("failed carries Meta's error code", () => {
    assert.deepEqual(
      receiptOfCloudStatus(status("failed", { errors: [{ code: 131026, title: "Message undeliverable" }] })),
      {
        messageId: "wamid.OUT1",
        status: "failed",
        code: 131026,
      },
    );
  });
});
