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

  it("expires heartbeats, probes and incidents by TTL, and keeps rollups", () => {
    const ttl = indexes.fieldOverrides.filter((o) => o.ttl).map((o) => `${o.collectionGroup}.${o.fieldPath}`);
    for (const expected of ["heartbeats.expireAt", "probes.expireAt", "incidents.expireAt"]) {
      assert.ok(ttl.includes(expected), `${expected} has no TTL override`);
    }
    assert.ok(!ttl.some((t) => t.startsWith("rollups.")), "rollups are kept for good");
  });

  it("has the index the probe-streak query needs", () => {
    const shapes = indexes.indexes
      .filter((i) => i.collectionGroup === "probes")
      .map((i) => i.fields.map((f) => f.fieldPath).join(","));
    assert.ok(shapes.includes("type,startedAt"), "missing probes index type,startedAt");
  });

  it("has the composite indexes the worker's outbox queries need", () => {
    const shapes = indexes.indexes
      .filter((i) => i.collectionGroup === "outbox")
      .map((i) => i.fields.map((f) => f.fieldPath).join(","));
    for (const shape of ["status,accountId,createdAt", "status,createdAt", "status,sentAt", "status,updatedAt"]) {
      assert.ok(shapes.includes(shape), `missing outbox index ${shape}`);
    }
  });

  it("has the indexes the watchdog's account counts and account-incident query need", () => {
    const shape = (group: string) =>
      indexes.indexes.filter((i) => i.collectionGroup === group).map((i) => i.fields.map((f) => f.fieldPath).join(","));
    assert.ok(shape("accounts").includes("status,owner.leaseUntil"), "missing accounts index status,owner.leaseUntil");
    assert.ok(shape("incidents").includes("status,type"), "missing incidents index status,type");
  });
});
