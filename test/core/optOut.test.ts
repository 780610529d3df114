import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  matchOptOut,
  normalizeKeyword,
  optOutKeywords,
  parseKeywordList,
} from "@wa-gateway/core/accounts";

describe("opt-out keywords", () => {
  it("a whole message that is STOP opts out, whatever its case, spaces and surrounding punctuation", () => {
    for (const text of ["STOP", "stop", " Stop ", "Stop!", "STOP.", "stop!!!", "«stop»", "stop 🛑", "STOP\n"]) {
      assert.deepEqual(matchOptOut(text), { kind: "opt_out", keyword: "STOP" }, JSON.stringify(text));
    }
  });

  it("only the whole message counts: a sentence with stop in it is no opt-out", () => {
    for (const text of ["stop it please", "please stop", "STOP STOP", "don't stop", "stopped", "s t o p", "", "!!!"]) {
      assert.equal(matchOptOut(text), null, JSON.stringify(text));
    }
  });

  it("knows English, Spanish, Portuguese, French, German and Italian, with or without accents", () => {
    const out = (text: string) => matchOptOut(text)?.kind;
    for (const text of ["unsubscribe", "¡Baja!", "darme de baja", "PARAR", "sair", "Arrêter", "ARRETER", "arrêt"])
      assert.equal(out(text), "opt_out", text);
    for (const text of ["désabonner", "Stopp", "abmelden", "Disiscrivimi", "cancelar suscripcion", "opt out"])
      assert.equal(out(text), "opt_out", text);
    for (const text of [
      "START",
      "start!",
      "unstop",
      "iniciar",
      "Começar",
      "comecar",
      "démarrer",
      "anmelden",
      "iscrivimi",
    ])
      assert.equal(out(text), "opt_in", text);
  });

  it("says the keyword as normalised: upper case, accents dropped", () => {
    assert.equal(matchOptOut("arrêter")?.keyword, "ARRETER");
    assert.equal(normalizeKeyword("  se   désabonner! "), "SE DESABONNER");
  });

  it("configured lists replace the defaults; a keyword in both lists or an empty one is refused", () => {
    const mine = optOutKeywords(parseKeywordList("halt, enough ,,"), parseKeywordList("resume"));
    assert.deepEqual(matchOptOut("Halt!", mine), { kind: "opt_out", keyword: "HALT" });
    assert.deepEqual(matchOptOut("resume", mine), { kind: "opt_in", keyword: "RESUME" });
    assert.equal(matchOptOut("stop", mine), null);
    assert.throws(() => optOutKeywords(["STOP"], ["stop!"]), /both an opt-out and an opt-in keyword: STOP/);
    assert.throws(() => optOutKeywords(["!!"], []), /empty keyword/);
  });

  it("the defaults are consistent: no keyword in both lists, each one matches itself", () => {
    const k = optOutKeywords(DEFAULT_OPT_OUT_KEYWORDS, DEFAULT_OPT_IN_KEYWORDS);
    for (const word of DEFAULT_OPT_OUT_KEYWORDS) assert.equal(matchOptOut(word, k)?.kind, "opt_out", word);
    for (const word of DEFAULT_OPT_IN_KEYWORDS) assert.equal(matchOptOut(word, k)?.kind, "opt_in", word);
  });

  it('the API documentation lists every default keyword (docs/api.md "Opt-out")', () => {
    const api = readFileSync(join(__dirname, "..", "..", "docs", "api.md"), "utf8");
    for (const word of [...DEFAULT_OPT_OUT_KEYWORDS, ...DEFAULT_OPT_IN_KEYWORDS])
      assert.ok(api.includes(`\`${word}\``), `docs/api.md names ${word}`);
  });
});
