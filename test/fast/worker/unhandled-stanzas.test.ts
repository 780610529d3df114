import assert from "node:assert/strict";
import { shapeOf, unhandledStanza } from "../../../worker/src/transport/baileys/unhandledStanzas";
import { WorkerMetrics } from "../../../worker/src/metrics/workerMetrics";

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

describe("unhandled stanza types in the worker's metrics", () => {
  const metrics = () =>
    new WorkerMetrics(
      {
        connectedAccounts: () => 0,
        inboundBacklog: () => 0,
        holdsHeartbeatLock: () => false,
        outboxFigures: async () => null,
      },
      { version: "test", commit: "test" },
    );

  it("past 50 labelled types a new one is counted as other, and its first sighting still logged once", async () => {
    const m = metrics();
    for (let i = 0; i < 50; i++) assert.equal(m.unhandledStanza("notification", `type_${i}`), true);
    assert.deepEqual(
      [m.unhandledStanza("notification", "type_51"), m.unhandledStanza("notification", "type_51")],
      [true, false],
    );
    const text = await m.registry.metrics();
    assert.match(text, /type="other"} 2/);
    assert.doesNotMatch(text, /type_51/);
  });
});
