import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";

describe("paths", () => {
  it("builds the contract paths operators know", () => {
    assert.equal(paths.outboxEntry("req_1"), "outbox/req_1");
    assert.equal(paths.threadMessage("t1", "m1"), "threads/t1/messages/m1");
    assert.equal(paths.inboundDedupe("acc", "MSG1"), "inboundDedupe/acc__MSG1");
    assert.equal(paths.longrun.config, "wa_metrics/longrun/config/current");
    assert.equal(paths.longrun.lock("heartbeat-scheduler"), "wa_metrics/longrun/locks/heartbeat-scheduler");
    assert.equal(paths.longrun.heartbeat("2025-12-30T08-00-00"), "wa_metrics/longrun/heartbeats/2025-12-30T08-00-00");
    assert.equal(paths.longrun.rollup("2025-12-30"), "wa_metrics/longrun/rollups/2025-12-30");
  });

  it("refuses a segment that would address another document", () => {
    assert.throws(() => paths.thread("a/b"), /threadId is not a valid document id/);
    assert.throws(() => paths.account(".."), RangeError);
    assert.throws(() => paths.outboxEntry(""), RangeError);
    assert.throws(() => paths.longrun.probe("__x__"), RangeError);
  });

  it("escapes an inbound message id with a slash instead of nesting a path", () => {
    assert.equal(paths.inboundDedupe("acc", "a/b").split("/").length, 2);
  });
});
