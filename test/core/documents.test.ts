import assert from "node:assert/strict";
import { DEFAULT_MONITORING_CONFIG, monitoringConfig, outboxDocument } from "@wa-gateway/core/documents";

const ts = (iso: string) => ({ toMillis: () => Date.parse(iso), toDate: () => new Date(iso) });

describe("document schemas", () => {
  it("fills the runbook's monitoring defaults", () => {
    assert.equal(DEFAULT_MONITORING_CONFIG.heartbeatIntervalSec, 60);
    assert.equal(DEFAULT_MONITORING_CONFIG.driftSec, 10);
    assert.equal(DEFAULT_MONITORING_CONFIG.insufficientDataThreshold, 0.8);
    assert.equal(DEFAULT_MONITORING_CONFIG.alertThresholds.missedHbPerHour, 3);
    assert.equal(DEFAULT_MONITORING_CONFIG.alertThresholds.consecutiveProbeFails, 2);
  });

  it("keeps an operator's partial thresholds and defaults the rest", () => {
    const config = monitoringConfig.parse({ alertThresholds: { missedHbPerHour: 5 } });
    assert.equal(config.alertThresholds.missedHbPerHour, 5);
    assert.equal(config.alertThresholds.queueDepth, 100);
  });

  it("rejects a config edit with the wrong type", () => {
    assert.equal(monitoringConfig.safeParse({ heartbeatIntervalSec: "60" }).success, false);
  });

  it("accepts a complete outbox entry and rejects an unknown status", () => {
    const entry = {
      status: "queued",
      uid: "u1",
      clientMessageId: "c1",
      threadId: "t1",
      accountId: "a1",
      toJid: "40712345678@s.whatsapp.net",
      text: "hi",
      providerMessageId: "3EB0ABC",
      claimedBy: null,
      leaseUntil: null,
      leaseEpoch: 0,
      attempts: 0,
      nextAttemptAt: ts("2025-01-01T00:00:00Z"),
      lastError: null,
      createdAt: ts("2025-01-01T00:00:00Z"),
      updatedAt: ts("2025-01-01T00:00:00Z"),
      sentAt: null,
      expireAt: null,
    };
    assert.equal(outboxDocument.safeParse(entry).success, true);
    assert.equal(outboxDocument.safeParse({ ...entry, status: "done" }).success, false);
    assert.equal(outboxDocument.safeParse({ ...entry, createdAt: "2025-01-01" }).success, false);
  });
});

describe("a Cloud API account stored before templates", () => {
  it("still reads: its cloudApi has no businessAccountId, which only a new account must give", async () => {
    const { accountDocument } = await import("@wa-gateway/core/documents");
    const { addAccountRequest } = await import("@wa-gateway/core/proxies");
    const number = { phoneNumberId: "106540352242922", tokenSecret: "projects/p/secrets/s/versions/latest" };
    const stored = accountDocument.shape.cloudApi.safeParse(number);
    assert.equal(stored.success, true, "the stored account parses");
    assert.equal(addAccountRequest.safeParse({ cloudApi: number }).success, false, "a new account names its WABA");
  });
});
