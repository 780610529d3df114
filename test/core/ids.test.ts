import assert from "node:assert/strict";
import {
  bucketStart,
  heartbeatBucketId,
  inboundDedupeId,
  parseHeartbeatBucketId,
  parseRollupDate,
  probeKey,
  requestIdFor,
  rollupDate,
} from "@wa-gateway/core";

const FIRESTORE_ID_MAX_BYTES = 1500;
const isValidDocId = (id: string) =>
  id.length > 0 &&
  !id.includes("/") &&
  id !== "." &&
  id !== ".." &&
  !/^__.*__$/.test(id) &&
  Buffer.byteLength(id, "utf8") <= FIRESTORE_ID_MAX_BYTES;

describe("heartbeat bucket ids", () => {
  it("formats the bucket start in UTC with dashes instead of colons", () => {
    assert.equal(heartbeatBucketId(new Date("2025-12-30T08:00:00Z"), 60), "2025-12-30T08-00-00");
  });

  it("floors to the interval", () => {
    assert.equal(heartbeatBucketId(new Date("2025-12-30T08:00:59.999Z"), 60), "2025-12-30T08-00-00");
    assert.equal(heartbeatBucketId(new Date("2025-12-30T08:07:31Z"), 300), "2025-12-30T08-05-00");
  });

  it("rolls over day and year boundaries", () => {
    assert.equal(heartbeatBucketId(new Date("2025-12-31T23:59:59.999Z"), 60), "2025-12-31T23-59-00");
    assert.equal(heartbeatBucketId(new Date("2026-01-01T00:00:00Z"), 60), "2026-01-01T00-00-00");
    assert.equal(heartbeatBucketId(new Date("2024-02-29T12:00:30Z"), 60), "2024-02-29T12-00-00");
  });

  it("is the same bucket for every instant inside it and a new one at its end", () => {
    const start = bucketStart(new Date("2025-06-01T10:00:10Z"), 60);
    assert.equal(start.toISOString(), "2025-06-01T10:00:00.000Z");
    assert.notEqual(heartbeatBucketId(new Date(start.getTime() + 60_000), 60), heartbeatBucketId(start, 60));
  });

  it("round-trips through parseHeartbeatBucketId and rejects impossible dates", () => {
    assert.equal(parseHeartbeatBucketId("2025-12-30T08-00-00")?.toISOString(), "2025-12-30T08:00:00.000Z");
    assert.equal(parseHeartbeatBucketId("2025-02-30T08-00-00"), undefined);
    assert.equal(parseHeartbeatBucketId("2025-12-30T08:00:00"), undefined);
  });

  it("rejects a non-positive or fractional interval", () => {
    assert.throws(() => heartbeatBucketId(new Date(), 0), RangeError);
    assert.throws(() => heartbeatBucketId(new Date(), 1.5), RangeError);
  });

  it("rejects an invalid date", () => {
    assert.throws(() => heartbeatBucketId(new Date("nope"), 60), RangeError);
  });
});

describe("probe keys", () => {
  const at = new Date("2025-12-29T22:41:00Z");

  it("keys outbound and inbound probes by UTC hour", () => {
    assert.equal(probeKey("OUT", at), "OUT_2025122922");
    assert.equal(probeKey("IN", at), "IN_2025122922");
  });

  it("keys the queue probe by UTC day", () => {
    assert.equal(probeKey("QUEUE", at), "QUEUE_20251229");
  });

  it("uses UTC across the new year whatever the local offset", () => {
    assert.equal(probeKey("OUT", new Date("2026-01-01T00:30:00+02:00")), "OUT_2025123122");
    assert.equal(probeKey("QUEUE", new Date("2025-12-31T23:59:59Z")), "QUEUE_20251231");
  });
});

describe("rollup dates", () => {
  it("is the UTC calendar date", () => {
    assert.equal(rollupDate(new Date("2025-12-31T23:59:59.999Z")), "2025-12-31");
    assert.equal(rollupDate(new Date("2026-01-01T01:00:00+02:00")), "2025-12-31");
  });

  it("parses back to UTC midnight and rejects impossible dates", () => {
    assert.equal(parseRollupDate("2024-02-29")?.toISOString(), "2024-02-29T00:00:00.000Z");
    assert.equal(parseRollupDate("2025-02-29"), undefined);
    assert.equal(parseRollupDate("2025-1-01"), undefined);
  });
});

describe("inbound dedupe ids", () => {
  it("keeps ordinary WhatsApp ids readable", () => {
    assert.equal(inboundDedupeId("acc-1", "3EB0C767D26A1A5D8F21"), "acc-1__3EB0C767D26A1A5D8F21");
  });

  it("escapes slashes, dots and unicode into a valid document id", () => {
    for (const messageId of ["a/b", ".", "..", "__x__", "ünï😀", "id with spaces", "%41"]) {
      const id = inboundDedupeId("acc", messageId);
      assert.ok(isValidDocId(id), `${JSON.stringify(messageId)} gave ${id}`);
    }
  });

  it("never maps two different message ids to the same document", () => {
    const ids = ["a/b", "a%2Fb", "A", "a", "~x", "%7Ex", "a__b", "a_b"];
    const encoded = new Set(ids.map((m) => inboundDedupeId("acc", m)));
    assert.equal(encoded.size, ids.length);
  });

  it("hashes ids too long for Firestore into a bounded, distinct id", () => {
    const long1 = "x".repeat(5000);
    const long2 = `${"x".repeat(4999)}y`;
    const a = inboundDedupeId("acc", long1);
    const b = inboundDedupeId("acc", long2);
    assert.ok(isValidDocId(a) && isValidDocId(b));
    assert.notEqual(a, b);
    assert.ok(a.startsWith("acc__~"));
  });

  it("rejects an empty message id", () => {
    assert.throws(() => inboundDedupeId("acc", ""), RangeError);
  });
});

describe("requestId", () => {
  it("is stable for the same user and clientMessageId", () => {
    assert.equal(requestIdFor("uid-1", "m-1"), requestIdFor("uid-1", "m-1"));
  });

  it("differs between users sending the same clientMessageId", () => {
    assert.notEqual(requestIdFor("uid-1", "m-1"), requestIdFor("uid-2", "m-1"));
  });

  it("cannot be forged by moving characters between uid and clientMessageId", () => {
    assert.notEqual(requestIdFor("ab", "c"), requestIdFor("a", "bc"));
    assert.notEqual(requestIdFor('a","b', "c"), requestIdFor("a", 'b","c'));
  });

  it("is a valid document id for odd and maximal inputs", () => {
    for (const [uid, cmid] of [
      ["u".repeat(128), "c".repeat(128)],
      ["ü/ü", "../.."],
      ["__a__", "😀"],
    ] as const) {
      const id = requestIdFor(uid, cmid);
      assert.match(id, /^req_[0-9a-f]{40}$/);
      assert.ok(isValidDocId(id));
    }
  });

  it("rejects empty parts", () => {
    assert.throws(() => requestIdFor("", "m"), RangeError);
    assert.throws(() => requestIdFor("u", ""), RangeError);
  });
});
