import assert from "node:assert/strict";
import { shapeOf, unhandledStanza } from "../../../worker/src/transport/baileys/unhandledStanzas";

describe("stanzas nothing handles: which, and their shape without content", () => {
  const node = (tag: string, attrs: Record<string, string> = {}, content?: unknown) =>
    ({ tag, attrs, ...(content !== undefined ? { content } : {}) }) as Parameters<typeof unhandledStanza>[0];

  it("what rc14 or the transport handles is not reported", () => {
    for (const handled of [
      node("message", { id: "1", from: "1@s.whatsapp.net" }),
      node("notification", { type: "devices" }),
      node("notification", { type: "companion_reg_refresh" }, [node("pair-device-rotate-qr")]),
      node("ib", {}, [node("offline", { count: "3" })]),
      node("iq", { type: "result", id: "x" }),
    ])
      assert.equal(unhandledStanza(handled), undefined, handled.tag);
  });

  it("a new notification type, ib child or tag is reported by kind and type", () => {
    assert.deepEqual(
      [
        unhandledStanza(node("notification", { type: "tomorrows_feature", id: "9" })),
        unhandledStanza(node("ib", {}, [node("new_thing")])),
        unhandledStanza(node("brand_new", { id: "1" })),
      ].map((s) => s && [s.kind, s.type]),
      [
        ["notification", "tomorrows_feature"],
        ["ib", "new_thing"],
        ["stanza", "brand_new"],
      ],
    );
  });

  it("a type becomes a bounded label; the shape names tags and attributes, never a value", () => {
    const weird = unhandledStanza(node("notification", { type: `a b/${"x".repeat(80)}` }))!;
    assert.match(weird.type, /^[A-Za-z0-9_:.-]{1,40}$/);
    const shape = shapeOf(
      node("notification", { from: "4915100000001@s.whatsapp.net", type: "t" }, [
        node("secret", { jid: "123@lid" }, Buffer.from("words")),
        node("secret", { jid: "456@lid" }, Buffer.from("more")),
      ]),
    );
    assert.equal(shape, "<notification from type><secret jid>…</secret></notification>");
  });
});
