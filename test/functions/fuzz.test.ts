import assert from "node:assert/strict";
import fc from "fast-check";
import { HttpsError } from "firebase-functions/https";
import { adminDb, resetFirestore } from "../support/emulator";
import { allDocumentPaths, seedAccount, sendPayload } from "../support/fixtures";
import { callAs, captureConsole, loadFunctions } from "../support/functions";

const fns = loadFunctions();
const FIELDS = ["threadId", "accountId", "toJid", "text", "clientMessageId"] as const;

const junk = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
);

/** Mutations that each make a send payload invalid, whatever else is true of it. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("wrong-type" as const), field: fc.constantFrom(...FIELDS), value: junk }),
  fc.record({ kind: fc.constant("missing" as const), field: fc.constantFrom(...FIELDS) }),
  fc.record({ kind: fc.constant("empty" as const), field: fc.constantFrom(...FIELDS) }),
  fc.record({
    kind: fc.constant("huge" as const),
    field: fc.constantFrom(...FIELDS),
    unit: fc.constantFrom("a", "😀", "ü", "\u0000"),
  }),
  fc.record({
    kind: fc.constant("extra" as const),
    key: fc.oneof(
      fc.constantFrom("__proto__", "constructor", "prototype", "status", "uid", "admin"),
      fc.string({ minLength: 1 }),
    ),
    value: fc.oneof(junk, fc.string()),
  }),
  fc.record({
    kind: fc.constant("bad-id" as const),
    field: fc.constantFrom("threadId", "accountId", "clientMessageId", "toJid"),
    insert: fc.constantFrom("/", " ", "é", "😀", "\n", "#", "@g.us"),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function apply(base: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  switch (m.kind) {
    case "wrong-type":
      out[m.field] = m.value;
      break;
    case "missing":
      delete out[m.field];
      break;
    case "empty":
      out[m.field] = "";
      break;
    case "huge":
      out[m.field] = m.unit.repeat(m.field === "text" ? 4097 : 200);
      break;
    case "extra":
      if ((FIELDS as readonly string[]).includes(m.key)) return out; // not extra: the other mutations cover it
      Object.defineProperty(out, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      break;
    case "bad-id":
      out[m.field] = `${String(out[m.field]).slice(0, 3)}${m.insert}${String(out[m.field]).slice(3)}`;
      break;
  }
  return out;
}

const topLevelJunk = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.boolean(),
);

describe("whatsappProxySend fuzz", function () {
  this.timeout(120_000);

  before(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"] });
  });

  it("1000 malformed payloads each get invalid-argument (never internal) and write nothing", async () => {
    const before = await allDocumentPaths(adminDb());
    const payloads = fc.oneof(
      { weight: 9, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: topLevelJunk },
    );
    const codes = new Map<string, number>();
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(payloads, async (generated) => {
        const data =
          Array.isArray(generated) && generated.every((m) => typeof m === "object" && m && "kind" in m)
            ? (generated as Mutation[]).reduce(apply, sendPayload() as Record<string, unknown>)
            : generated;
        if (
          data &&
          typeof data === "object" &&
          !Array.isArray(data) &&
          JSON.stringify(data) === JSON.stringify(sendPayload())
        )
          return;
        tried++;
        const { error } = await captureConsole(() => callAs(fns.whatsappProxySend, data, { uid: "alice" }));
        const code = error instanceof HttpsError ? error.code : `not HttpsError: ${String(error)}`;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        assert.equal(code, "invalid-argument", `payload ${JSON.stringify(data)?.slice(0, 300)}`);
      }),
      { numRuns: 1100, seed: 20261122 },
    );
    assert.ok(tried >= 1000, `only ${tried} malformed payloads were tried`);
    assert.deepEqual(await allDocumentPaths(adminDb()), before);
  });
});
