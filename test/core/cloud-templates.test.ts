import assert from "node:assert/strict";
import { graphTemplate, parameterCountOf, renderTemplate, templateEntryOf } from "@wa-gateway/core/cloudApi";

const listed = (over: Record<string, unknown> = {}) =>
  graphTemplate.parse({
    name: "order_update",
    language: "en_US",
    status: "APPROVED",
    category: "UTILITY",
    components: [{ type: "BODY", text: "Your order {{1}} ships on {{2}}." }],
    id: "1234",
    ...over,
  });

describe("Cloud API templates as the catalogue keeps them", () => {
  it("counts a body's parameters by its highest placeholder, and fills them in", () => {
    assert.equal(parameterCountOf("Hi {{1}}, order {{2}}, again {{1}}"), 2);
    assert.equal(parameterCountOf("No parameters"), 0);
    assert.equal(
      renderTemplate("Your order {{1}} ships on {{ 2 }}.", ["A-17", "Friday"]),
      "Your order A-17 ships on Friday.",
    );
  });

  it("keeps Meta's name, language, status and body; a positional body-only template is sendable", () => {
    assert.deepEqual(templateEntryOf(listed()), {
      name: "order_update",
      language: "en_US",
      status: "APPROVED",
      category: "UTILITY",
      body: "Your order {{1}} ships on {{2}}.",
      parameterCount: 2,
      sendable: true,
    });
  });

  it("a static text header and plain buttons keep it sendable", () => {
    const entry = templateEntryOf(
      listed({
        components: [
          { type: "HEADER", format: "TEXT", text: "Shipping" },
          { type: "BODY", text: "Order {{1}}" },
          { type: "FOOTER", text: "Reply STOP to opt out" },
          {
            type: "BUTTONS",
            buttons: [
              { type: "QUICK_REPLY", text: "Thanks" },
              { type: "URL", text: "Shop", url: "https://shop.example/orders" },
            ],
          },
        ],
      }),
    );
    assert.equal(entry.sendable, true);
  });

  it("authentication templates, copy-code, flow and carousel components need parameters the gateway does not send", () => {
    const unsendable = [
      listed({
        category: "AUTHENTICATION",
        components: [
          { type: "BODY", text: "{{1}} is your verification code." },
          { type: "BUTTONS", buttons: [{ type: "OTP", otp_type: "COPY_CODE", text: "Copy code" }] },
        ],
      }),
      listed({
        components: [
          { type: "BODY", text: "Use {{1}}" },
          { type: "BUTTONS", buttons: [{ type: "COPY_CODE", example: "SAVE30" }] },
        ],
      }),
      listed({
        components: [
          { type: "BODY", text: "Book" },
          { type: "BUTTONS", buttons: [{ type: "FLOW", text: "Book", flow_id: "1" }] },
        ],
      }),
      listed({
        components: [
          { type: "BODY", text: "Pick one" },
          { type: "CAROUSEL", cards: [] },
        ],
      }),
    ];
    assert.deepEqual(
      unsendable.map((t) => templateEntryOf(t).sendable),
      [false, false, false, false],
    );
  });

  it("a media header, a header parameter, a button parameter or named parameters make it unsendable here", () => {
    const unsendable = [
      listed({
        components: [
          { type: "HEADER", format: "IMAGE" },
          { type: "BODY", text: "Hi" },
        ],
      }),
      listed({
        components: [
          { type: "HEADER", format: "TEXT", text: "For {{1}}" },
          { type: "BODY", text: "Hi" },
        ],
      }),
      listed({
        components: [
          { type: "BODY", text: "Hi" },
          { type: "BUTTONS", buttons: [{ type: "URL", text: "Track", url: "https://x/{{1}}", example: ["a"] }] },
        ],
      }),
      listed({ parameter_format: "NAMED", components: [{ type: "BODY", text: "Hi {{first_name}}" }] }),
    ];
    assert.deepEqual(
      unsendable.map((t) => templateEntryOf(t).sendable),
      [false, false, false, false],
    );
  });
});
