import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface IndexField {
  fieldPath: string;
  order?: "ASCENDING" | "DESCENDING";
  arrayConfig?: "CONTAINS";
}
interface Index {
  collectionGroup: string;
  queryScope: string;
  fields: IndexField[];
}

const { indexes } = JSON.parse(readFileSync(join(__dirname, "..", "..", "firestore.indexes.json"), "utf8")) as {
  indexes: Index[];
};
const has = (collectionGroup: string, fields: IndexField[]) =>
  indexes.some(
    (i) =>
      i.collectionGroup === collectionGroup &&
      i.queryScope === "COLLECTION" &&
      JSON.stringify(i.fields) === JSON.stringify(fields),
  );

// The emulator runs any query without its composite index; production refuses it. So each
// documented inbox query's index is checked here against what `firebase deploy` creates.
describe("firestore.indexes.json: every documented inbox query has its composite index", () => {
  it("my threads as owner, newest first", () => {
    assert.ok(
      has("threads", [
        { fieldPath: "ownerUid", order: "ASCENDING" },
        { fieldPath: "lastMessageAt", order: "DESCENDING" },
      ]),
    );
  });

  it("my threads as co-writer, newest first", () => {
    assert.ok(
      has("threads", [
        { fieldPath: "coWriterUids", arrayConfig: "CONTAINS" },
        { fieldPath: "lastMessageAt", order: "DESCENDING" },
      ]),
    );
  });

  it("an account's unassigned threads, newest first", () => {
    assert.ok(
      has("threads", [
        { fieldPath: "accountId", order: "ASCENDING" },
        { fieldPath: "ownerUid", order: "ASCENDING" },
        { fieldPath: "lastMessageAt", order: "DESCENDING" },
      ]),
    );
  });

  it("my recent sends", () => {
    assert.ok(
      has("outbox", [
        { fieldPath: "uid", order: "ASCENDING" },
        { fieldPath: "createdAt", order: "DESCENDING" },
      ]),
    );
  });
});
