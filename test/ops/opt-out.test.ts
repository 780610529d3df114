import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { optOuts } from "@wa-gateway/data";
import { adminDb, resetFirestore } from "../support/emulator";
import { command, T0 } from "../support/opsCommands";

const NUMBER = "40712345678@s.whatsapp.net";
const LID = "81234567890123@lid";

/** A contact's STOP as the inbound store records it: under its number and its LID. */
async function optedOut(accountId: string, jid: string, otherJid: string | null, keyword = "STOP") {
  await optOuts.write(adminDb(), accountId, jid).set({
    accountId,
    contactJid: jid,
    otherJid,
    keyword,
    messageId: `M-${keyword}`,
    at: Timestamp.fromMillis(T0),
    source: "contact",
    createdAt: Timestamp.fromMillis(T0 + 1000),
  });
}

describe("npm run opt-out", function () {
  this.timeout(60_000);
  beforeEach(resetFirestore);

  it("lists an account's opt-outs, and only that account's", async () => {
    await optedOut("acc-1", NUMBER, LID);
    await optedOut("acc-1", LID, NUMBER);
    await optedOut("acc-2", "40799999999@s.whatsapp.net", null, "BAJA");
    const { code, out } = await command("opt-out", ["list", "acc-1"]);
    assert.equal(code, 0, out);
    assert.match(out, /2025-12-30T10:00:00.000Z 40712345678@s\.whatsapp\.net \(also 81234567890123@lid\) wrote STOP/);
    assert.match(out, /2 record\(s\)/);
    assert.doesNotMatch(out, /40799999999/);
  });

  it("clear by phone number removes the record under the number and the LID, and says who cleared it", async () => {
    await optedOut("acc-1", NUMBER, LID);
    await optedOut("acc-1", LID, NUMBER);
    const { code, out } = await command("opt-out", ["clear", "acc-1", "+40 712 345 678", "--by", "dana"]);
    assert.equal(code, 0, out);
    assert.match(
      out,
      /cleared the opt-out of 40712345678@s\.whatsapp\.net and 81234567890123@lid on account acc-1, by operator:dana/,
    );
    assert.equal((await optOuts.doc(adminDb(), "acc-1", NUMBER).get()).exists, false);
    assert.equal((await optOuts.doc(adminDb(), "acc-1", LID).get()).exists, false);
  });

  it("clearing a contact with no opt-out exits 2; nonsense exits 64 with the usage; --help exits 0", async () => {
    const missing = await command("opt-out", ["clear", "acc-1", NUMBER]);
    assert.equal(missing.code, 2, missing.out);
    assert.match(missing.out, /no opt-out of 40712345678@s\.whatsapp\.net on account acc-1/);
    for (const args of [
      ["clear", "acc-1"],
      ["clear", "acc-1", "bob"],
      ["list"],
      ["forget", "acc-1"],
      ["list", "acc-1", "--frmo", "x"],
    ]) {
      const bad = await command("opt-out", args);
      assert.equal(bad.code, 64, `${args.join(" ")}: ${bad.out}`);
      assert.match(bad.out, /usage: npm run opt-out|--frmo/, args.join(" "));
    }
    const help = await command("opt-out", ["--help"]);
    assert.equal(help.code, 0, help.out);
    assert.match(help.out, /npm run opt-out -- clear <accountId> <phone number or JID> \[--by <you>\]/);
  });
});
