import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const indexes = JSON.parse(readFileSync(join(ROOT, "firestore.indexes.json"), "utf8")) as {
  indexes: { collectionGroup: string; fields: { fieldPath: string }[] }[];
  fieldOverrides: { collectionGroup: string; fieldPath: string; ttl?: boolean }[];
};

describe("firestore.indexes.json", () => {
  it("declares TTL on expireAt for finished outbox entries, dedupe markers and rate-limit counters", () => {
    const ttl = indexes.fieldOverrides.filter((o) => o.ttl).map((o) => `${o.collectionGroup}.${o.fieldPath}`);
    for (const expected of ["outbox.expireAt", "inboundDedupe.expireAt", "rateLimits.expireAt"]) {
      assert.ok(ttl.includes(expected), `${expected} has no TTL override`);
    }
  });

  it("has the composite indexes the worker's outbox queries need", () => {
    const shapes = indexes.indexes
      .filter((i) => i.collectionGroup === "outbox")
      .map((i) => i.fields.map((f) => f.fieldPath).join(","));
    for (const shape of ["status,accountId,createdAt", "status,createdAt", "status,sentAt", "status,updatedAt"]) {
      assert.ok(shapes.includes(shape), `missing outbox index ${shape}`);
    }
  });
});
