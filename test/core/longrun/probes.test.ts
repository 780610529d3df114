import assert from "node:assert/strict";
import { probeKey } from "@wa-gateway/core";
import { DEFAULT_MONITORING_CONFIG, monitoringConfig } from "@wa-gateway/core/documents";
import {
  failStreak,
  judgeOutbound,
  judgeQueue,
  nextProbeStep,
  planProbe,
  scheduledProbes,
  afterStep,
  PROBE_PERIOD_MS,
  PROBE_SCHEDULE,
  probeEveryHours,
  probeSchedule,
  retryNotStarted,
  retryStarted,
  skippedProbe,
} from "@wa-gateway/core/longrun";

const NOW = Date.parse("2025-12-30T06:00:00Z");

describe("probes", () => {
  it("an unconfigured probe is SKIPPED with the reason, not FAIL", () => {
    const plan = planProbe("OUT", DEFAULT_MONITORING_CONFIG);
    assert.equal(plan.kind, "skipped");
    assert.match(plan.kind === "skipped" ? plan.reason : "", /probes\.outbound\.accountId/);
    assert.equal(planProbe("IN", DEFAULT_MONITORING_CONFIG).kind, "skipped");
  });

  it("a configured outbound probe sends to the configured number", () => {
    const config = monitoringConfig.parse({
      probes: { outbound: { accountId: "main", toJid: "40700000001@s.whatsapp.net" } },
    });
    assert.deepEqual(planProbe("OUT", config), {
      kind: "send",
      accountId: "main",
      toJid: "40700000001@s.whatsapp.net",
      deadlineSec: 120,
      template: null,
    });
  });

  it("a Cloud API account's outbound probe goes as the configured template; a malformed one is refused", () => {
    const template = { name: "gateway_check", language: "en", parameters: ["ok"] };
    const config = monitoringConfig.parse({
      probes: { outbound: { accountId: "main", toJid: "40700000001@s.whatsapp.net", template } },
    });
    const plan = planProbe("OUT", config);
    assert.deepEqual(plan.kind === "send" && plan.template, template);
    const bad = (template: object) => ({ probes: { outbound: { accountId: "main", template } } });
    assert.equal(monitoringConfig.safeParse(bad({ name: "Gateway Check", language: "en" })).success, false);
    assert.equal(
      monitoringConfig.safeParse(bad({ name: "gateway_check", language: "en", parameters: ["two\nlines"] })).success,
      false,
      "a parameter Meta refuses is refused in the config",
    );
  });

  it("outbound passes when sent within the deadline, with its latency, and fails after it", () => {
    const args = { status: "sent" as const, startedMs: NOW, nowMs: NOW + 5000, deadlineSec: 120 };
    assert.deepEqual(judgeOutbound({ ...args, sentMs: NOW + 906 }), { kind: "pass", latencyMs: 906 });
    assert.equal(judgeOutbound({ ...args, status: "queued" as const, sentMs: null }).kind, "pending");
    assert.equal(
      judgeOutbound({ ...args, status: "queued" as const, sentMs: null, nowMs: NOW + 121_000 }).kind,
      "fail",
    );
    assert.equal(judgeOutbound({ ...args, sentMs: NOW + 130_000 }).kind, "fail");
  });

  it("a first failure is retried once after retryAfterSec; only the second counts", () => {
    const fail = { kind: "fail" as const, reason: "timeout" };
    assert.deepEqual(nextProbeStep(1, fail, NOW, 300), { kind: "retry", retryAtMs: NOW + 300_000, reason: "timeout" });
    assert.deepEqual(nextProbeStep(2, fail, NOW, 300), {
      kind: "final",
      result: "FAIL",
      reason: "timeout",
      latencyMs: null,
    });
    assert.equal(nextProbeStep(2, { kind: "pass", latencyMs: 10 }, NOW, 300).kind, "final");
  });

  it("the queue probe fails on depth or on the age of the oldest queued message", () => {
    assert.equal(judgeQueue({ queuedCount: 3, oldestQueuedAgeSec: 10 }, DEFAULT_MONITORING_CONFIG).kind, "pass");
    const deep = judgeQueue({ queuedCount: 101, oldestQueuedAgeSec: 301 }, DEFAULT_MONITORING_CONFIG);
    assert.deepEqual(deep, { kind: "fail", reason: "101 queued (max 100), oldest queued 301 s (max 300 s)" });
  });

  it("counts consecutive failures from the newest, ignoring SKIPPED", () => {
    assert.equal(failStreak(["FAIL", "SKIPPED", "FAIL", "PASS", "FAIL"]), 2);
    assert.equal(failStreak(["PASS", "FAIL"]), 0);
  });

  it("slots have deterministic keys; the queue probe runs in the 00:00 slot only", () => {
    assert.deepEqual(
      scheduledProbes(new Date("2025-12-30T00:00:00Z")).map((p) => p.key),
      ["OUT_2025123000", "IN_2025123000", "QUEUE_20251230"],
    );
    assert.deepEqual(
      scheduledProbes(new Date("2025-12-30T06:00:00Z")).map((p) => p.key),
      [probeKey("OUT", new Date(NOW)), probeKey("IN", new Date(NOW))],
    );
  });

  it("the scheduler's cron fires on every slot a probe type needs, and on no other", () => {
    const everyMs = Number(/\*\/(\d+)/.exec(PROBE_SCHEDULE)![1]) * 3_600_000;
    assert.equal(everyMs, Math.min(...Object.values(PROBE_PERIOD_MS)));
    for (const period of Object.values(PROBE_PERIOD_MS)) assert.equal(period % everyMs, 0);
    const day = Date.parse("2025-12-30T00:00:00Z");
    const keys = [0, 6, 12, 18].flatMap((h) => scheduledProbes(new Date(day + h * 3_600_000)).map((p) => p.key));
    assert.equal(keys.length, 4 + 4 + 1, "OUT and IN four times, QUEUE once");
  });

  it("PROBE_EVERY_HOURS sets the OUT and IN cadence (a divisor of 24); the queue probe stays daily", () => {
    assert.equal(probeEveryHours(undefined), 6);
    assert.equal(probeEveryHours(""), 6);
    assert.equal(probeEveryHours("1"), 1);
    for (const bad of ["5", "0", "48", "1.5", "hourly"]) assert.throws(() => probeEveryHours(bad), /PROBE_EVERY_HOURS/);
    assert.deepEqual([1, 2, 6, 24].map(probeSchedule), ["0 * * * *", "0 */2 * * *", PROBE_SCHEDULE, "0 0 * * *"]);
    const day = Date.parse("2025-12-30T00:00:00Z");
    const keys = Array.from({ length: 24 }, (_, h) => scheduledProbes(new Date(day + h * 3_600_000), 1)).flat();
    assert.equal(keys.filter((p) => p.type === "OUT").length, 24);
    assert.equal(keys.filter((p) => p.type === "IN").length, 24);
    assert.deepEqual(
      keys.filter((p) => p.type === "QUEUE").map((p) => p.key),
      ["QUEUE_20251230"],
    );
    assert.equal(new Set(keys.map((p) => p.key)).size, keys.length, "one key per slot");
  });

  it("each transition writes what the lifecycle says", () => {
    assert.deepEqual(afterStep(1, { kind: "retry", retryAtMs: NOW + 300_000, reason: "not sent within 120 s" }), {
      attempt: 2,
      retryAtMs: NOW + 300_000,
      reason: "attempt 1 failed: not sent within 120 s",
    });
    assert.deepEqual(afterStep(2, { kind: "final", result: "FAIL", reason: "send failed", latencyMs: null }), {
      result: "FAIL",
      reason: "send failed",
      latencyMs: null,
      finished: true,
    });
    assert.deepEqual(afterStep(1, { kind: "final", result: "PASS", reason: null, latencyMs: 900 }), {
      result: "PASS",
      reason: null,
      latencyMs: 900,
      finished: true,
    });
    assert.deepEqual(retryStarted(NOW), { retryAtMs: null, attemptStartedMs: NOW });
    assert.deepEqual(retryNotStarted("account removed"), {
      result: "FAIL",
      reason: "retry could not start: account removed",
      retryAtMs: null,
      finished: true,
    });
    assert.deepEqual(skippedProbe("not configured"), { result: "SKIPPED", reason: "not configured", finished: true });
  });
});
