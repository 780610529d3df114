import assert from "node:assert/strict";
import { matchOptOut } from "@wa-gateway/core/accounts";
import { parseWorkerConfig } from "../../../worker/src/config";
import type { OptOutChange } from "../../../worker/src/inbound/optOutWrites";
import { MemoryDatabase } from "../../support/memoryStores/memoryDatabase";
import { memoryInboundStore } from "../../support/memoryStores/memoryInboundStore";

describe("the worker's opt-out keywords (OPT_OUT_KEYWORDS, OPT_IN_KEYWORDS)", () => {
  it("unset or blank: the multi-language defaults", () => {
    for (const env of [{}, { OPT_OUT_KEYWORDS: " ", OPT_IN_KEYWORDS: "" }]) {
      const { optOutKeywords } = parseWorkerConfig({ GCLOUD_PROJECT: "p", ...env });
      assert.equal(matchOptOut("stop", optOutKeywords)?.kind, "opt_out");
      assert.equal(matchOptOut("baja", optOutKeywords)?.kind, "opt_out");
      assert.equal(matchOptOut("start", optOutKeywords)?.kind, "opt_in");
    }
  });

  it("set: the lists replace the defaults, parsed once at boot", () => {
    const { optOutKeywords } = parseWorkerConfig({
      GCLOUD_PROJECT: "p",
      OPT_OUT_KEYWORDS: "STOP, Arrêter",
      OPT_IN_KEYWORDS: "GO",
    });
    assert.equal(matchOptOut("arreter!", optOutKeywords)?.kind, "opt_out");
    assert.equal(matchOptOut("baja", optOutKeywords), null);
    assert.equal(matchOptOut("go", optOutKeywords)?.kind, "opt_in");
  });

  it("a keyword in both lists is a configuration error that names the variables", () => {
    assert.throws(
      () => parseWorkerConfig({ GCLOUD_PROJECT: "p", OPT_OUT_KEYWORDS: "STOP", OPT_IN_KEYWORDS: "stop" }),
      /OPT_OUT_KEYWORDS \/ OPT_IN_KEYWORDS: both an opt-out and an opt-in keyword: STOP/,
    );
  });
});

describe("the inbound store tells of each committed opt-out change, once (the worker logs it)", () => {
  const PEER = "40711111111@s.whatsapp.net";
  const message = (messageId: string, text: string, fromJidAlt?: string) => ({
    messageId,
    fromJid: PEER,
    ...(fromJidAlt ? { fromJidAlt } : {}),
    text,
    timestamp: new Date(),
  });

  it("STOP under two JIDs, its replay, START, and a START with nothing to remove", async () => {
    const heard: OptOutChange[] = [];
    const store = memoryInboundStore(new MemoryDatabase(), { onOptOut: (change) => heard.push(change) });
    await store.store("acc-1", message("S1", "stop", "81234567890123@lid"));
    assert.equal(await store.store("acc-1", message("S1", "stop", "81234567890123@lid")), "duplicate");
    await store.store("acc-1", message("S2", "hello"));
    await store.store("acc-1", message("S3", "Start"));
    await store.store("acc-1", message("S4", "START"));
    assert.deepEqual(
      heard.map((c) => [c.messageId, c.kind, c.keyword, c.records]),
      [
        ["S1", "opt_out", "STOP", 2],
        ["S3", "opt_in", "START", 2],
        ["S4", "opt_in", "START", 0],
      ],
    );
  });
});
