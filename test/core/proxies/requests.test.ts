import assert from "node:assert/strict";
import { GatewayError, parseRequest, sendRequest } from "@wa-gateway/core/proxies";

const valid = {
  threadId: "thread-1",
  accountId: "acc-1",
  toJid: "+40712345678@s.whatsapp.net",
  text: "hello",
  clientMessageId: "c-1",
};

function refusal(data: unknown): GatewayError {
  try {
    parseRequest(sendRequest, data);
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return err;
  }
  assert.fail("expected invalid-argument");
}

describe("send request validation", () => {
  it("normalises a +E.164 JID and bare digits to the same JID", () => {
    assert.equal(parseRequest(sendRequest, valid).toJid, "40712345678@s.whatsapp.net");
    assert.equal(parseRequest(sendRequest, { ...valid, toJid: "40712345678" }).toJid, "40712345678@s.whatsapp.net");
    assert.equal(parseRequest(sendRequest, { ...valid, toJid: "+40712345678" }).toJid, "40712345678@s.whatsapp.net");
  });

  it("refuses group JIDs with a message that says so", () => {
    const err = refusal({ ...valid, toJid: "120363025246125888@g.us" });
    assert.equal(err.code, "invalid-argument");
    assert.match(err.message, /^toJid: group chats are not supported/);
  });

  it("keeps a contact's @lid id as it is", () => {
    assert.equal(parseRequest(sendRequest, { ...valid, toJid: "98765432109876@lid" }).toJid, "98765432109876@lid");
  });

  it("refuses numbers too short or too long, and other domains", () => {
    for (const toJid of [
      "123",
      "1234567890123456",
      "40712345678@c.us",
      "abc@s.whatsapp.net",
      "",
      "abc@lid",
      "1@lid.net",
    ]) {
      assert.match(refusal({ ...valid, toJid }).message, /^toJid:/, toJid);
    }
  });

  it("accepts exactly 4096 characters of text, counted as characters not UTF-16 units", () => {
    assert.equal([...parseRequest(sendRequest, { ...valid, text: "😀".repeat(4096) }).text!].length, 4096);
    assert.match(refusal({ ...valid, text: "a".repeat(4097) }).message, /^text: at most 4096/);
  });

  it("refuses empty and whitespace-only text", () => {
    assert.match(refusal({ ...valid, text: "" }).message, /^text: must not be empty/);
    assert.match(refusal({ ...valid, text: " \n\t" }).message, /^text: must not be empty/);
  });

  it("names a missing field and a wrong type", () => {
    const { clientMessageId: _omit, ...missing } = valid;
    assert.equal(refusal(missing).message, "clientMessageId: expected string");
    assert.equal(refusal({ ...valid, text: 42 }).message, "text: expected string");
  });

  it("refuses extra fields, __proto__ included", () => {
    assert.match(refusal({ ...valid, status: "sent" }).message, /unexpected field\(s\): "status"/);
    assert.match(
      refusal(JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1)}`)).message,
      /__proto__/,
    );
  });

  it("refuses a non-object request", () => {
    for (const data of [null, undefined, "x", 1, []]) assert.match(refusal(data).message, /^request: expected object/);
  });

  it("refuses ids with slashes or double underscores", () => {
    assert.match(refusal({ ...valid, threadId: "a/b" }).message, /^threadId:/);
    assert.match(refusal({ ...valid, accountId: "a__b" }).message, /^accountId:/);
    assert.match(refusal({ ...valid, clientMessageId: "x".repeat(129) }).message, /^clientMessageId: at most 128/);
  });

  it("does not echo the rejected value in the message", () => {
    assert.doesNotMatch(refusal({ ...valid, toJid: "secret-value@g.us" }).message, /secret-value/);
  });
});
