import assert from "node:assert/strict";
import { messageTemplates } from "@wa-gateway/data";
import { firestoreTemplateCatalogue } from "../../worker/src/transport/cloudApi/templateCatalogue";
import { adminDb, resetFirestore } from "../support/emulator";
import { auditDocumentsAfterEach } from "../support/schemaAudit";

const template = (name: string, status = "APPROVED") => ({
  name,
  language: "en_US",
  status,
  category: "UTILITY",
  components: [{ type: "BODY", text: `${name}: {{1}}` }],
});

describe("a Cloud API account's template catalogue, as its worker syncs it", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(30_000);
  beforeEach(resetFirestore);

  const names = async (accountId: string) =>
    (await messageTemplates.ofAccount(adminDb(), accountId).get()).docs.map((d) => [d.id, d.data().status]);

  it("becomes what Meta listed: new ones stored, changed ones updated, vanished ones deleted", async () => {
    const catalogue = firestoreTemplateCatalogue(adminDb());
    await catalogue.replace("acc-1", [template("old_offer"), template("welcome", "PENDING")], new Date());
    const synced = await catalogue.replace("acc-1", [template("welcome"), template("order_update")], new Date());
    assert.deepEqual(synced, { listed: 2, written: 2, deleted: 1, unreadable: 0 });
    assert.deepEqual(await names("acc-1"), [
      ["order_update.en_US", "APPROVED"],
      ["welcome.en_US", "APPROVED"],
    ]);
  });

  it("writes nothing when Meta lists what it listed before", async () => {
    const catalogue = firestoreTemplateCatalogue(adminDb());
    await catalogue.replace("acc-1", [template("welcome"), template("order_update")], new Date(1_000));
    const again = await catalogue.replace("acc-1", [template("order_update"), template("welcome")], new Date(2_000));
    assert.deepEqual(again, { listed: 2, written: 0, deleted: 0, unreadable: 0 });
    const [doc] = (await messageTemplates.ofAccount(adminDb(), "acc-1").get()).docs;
    assert.equal(doc!.data().syncedAt.toMillis(), 1_000, "untouched");
  });

  it("counts an entry Meta sent in another shape instead of storing it, and leaves other accounts alone", async () => {
    const catalogue = firestoreTemplateCatalogue(adminDb());
    await catalogue.replace("acc-2", [template("theirs")], new Date());
    const synced = await catalogue.replace("acc-1", [template("welcome"), { name: "no_language" }], new Date());
    assert.deepEqual(synced, { listed: 1, written: 1, deleted: 0, unreadable: 1 });
    assert.deepEqual(await names("acc-2"), [["theirs.en_US", "APPROVED"]]);
  });
});
