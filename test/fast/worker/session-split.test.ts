import assert from "node:assert/strict";
import { splitText } from "../../../worker/src/accounts/sessionStore";

describe("splitting a session value too large for one document", () => {
  it("joins back to the same text, and never splits a surrogate pair", () => {
    const text = `${"a".repeat(4)}😀${"b".repeat(3)}😀`;
    for (const units of [1, 2, 3, 4, 5, 6, 7]) {
      const parts = splitText(text, units);
      assert.equal(parts.join(""), text);
      for (const part of parts) assert.equal(Buffer.from(part, "utf8").toString("utf8"), part, `units ${units}`);
    }
    assert.deepEqual(splitText("abcdef", 4), ["abcd", "ef"]);
  });
});
