import assert from "node:assert/strict";
import { matchOptOut } from "@wa-gateway/core/accounts";
import { parseWorkerConfig } from "../../../worker/src/config";

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
