import assert from "node:assert/strict";
import { DEFAULT_MONITORING_CONFIG } from "@wa-gateway/core/documents";
import {
  runRollup,
  runWatchdog,
  type AlertChannel,
  type ConfigSource,
  type Evaluation,
  type IncidentStore,
  type JobLog,
  type ProbeDoc,
  type ProbeStore,
  type RollupStore,
  type WatchdogReads,
} from "@wa-gateway/core/longrun";

const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const NOW = Date.parse("2025-12-31T00:05:00Z");

/** Incidents and config in memory (none open): what a job opened, and a channel that counts its sends. */
function memoryIncidents() {
  const evaluations: Evaluation[] = [];
  const config: ConfigSource = { loadConfig: async () => ({ kind: "ok", config: DEFAULT_MONITORING_CONFIG }) };
  const incidents: IncidentStore = {
    applyIncidents: async (args) => {
      const actions = args.decide([]);
      for (const action of actions) if (action.kind === "open") evaluations.push(action.evaluation);
      return { status: "applied", actions, deferred: [] };
    },
    unclaimNotifications: async () => undefined,
    deferNotices: async () => undefined,
    confirmDelivered: async () => undefined,
  };
  const sends: string[][] = [];
  const alerts: AlertChannel = {
    enabled: true,
    send: async (messages) => {
      sends.push(messages);
      return { delivered: messages.length, error: null };
    },
  };
  return { config, incidents, alerts, evaluations, sends };
}

describe("monitoring jobs, each against its own narrow ports", () => {
  it("a rollup that fails opens rollup_failed for its date, records the failed run, and rethrows", async () => {
    const { config, incidents, alerts, evaluations } = memoryIncidents();
    const runs: { status: string; error: string | null }[] = [];
    const failing = (): Promise<never> => Promise.reject(new Error("deadline exceeded"));
    const rollups: RollupStore = {
      beatsBetween: failing,
      beatBefore: async () => undefined,
      beatAtOrAfter: async () => undefined,
      firstBeatMs: async () => null,
      incidentsTouching: async () => [],
      probesBetween: async () => [],
      writeRollup: failing,
      recordRun: async (run) => void runs.push(run),
    };
    await assert.rejects(
      runRollup({ config, incidents, rollups, alerts, log: quiet, project: "t" }, "2025-12-30", NOW, "schedule"),
      /deadline exceeded/,
    );
    assert.deepEqual(
      evaluations.map((e) => [e.type, e.key, e.active]),
      [["rollup_failed", "2025-12-30", true]],
    );
    assert.deepEqual(runs, [
      {
        job: "rollup",
        periodKey: "2025-12-30",
        startedMs: NOW,
        trigger: "schedule",
        status: "failed",
        error: "deadline exceeded",
      },
    ]);
  });

  it("a watchdog run sends one Telegram message, what its probes concluded included", async () => {
    const { config, incidents, alerts, sends } = memoryIncidents();
    // Heartbeats stopped ten minutes ago: missed_heartbeat opens.
    const reads: WatchdogReads = {
      heartbeatState: async () => ({
        lastHeartbeatMs: NOW - 600_000,
        lastInstanceId: "w-1",
        streakStartedMs: NOW - 86_400_000,
        firstHeartbeatMs: NOW - 86_400_000,
        plannedStopMs: null,
      }),
      heartbeatCounts: async () => ({ lastHour: 50, last24h: 1400 }),
      outboxView: async () => ({ queuedCount: 0, oldestQueuedAgeSec: 0, failedLast5m: 0 }),
      accountCounts: async () => ({ ever: 1, live: 1, connected: 1 }),
      watchedAccounts: async () => [],
      accountLiveness: async () => [],
    };
    // An outbound probe on its last attempt, whose message failed: it ends FAIL, the streak's last.
    const pending: ProbeDoc = {
      key: "OUT_20251230T1800",
      type: "OUT",
      result: "PENDING",
      attempt: 2,
      startedMs: NOW - 900_000,
      attemptStartedMs: NOW - 300_000,
      retryAtMs: null,
      requestId: "req_probe",
      providerMessageId: "3EB0PROBE",
      targetAccountId: null,
      deadlineSec: 120,
    };
    const updates: { key: string; result?: string }[] = [];
    const probes: ProbeStore = {
      createProbe: async () => true,
      updateProbe: async (key, fields) => void updates.push({ key, result: fields.result }),
      pendingProbes: async () => [pending],
      recentResults: async () => Array(DEFAULT_MONITORING_CONFIG.alertThresholds.consecutiveProbeFails).fill("FAIL"),
      sendProbeMessage: async () => assert.fail("no new probe is sent"),
      outboxEntry: async () => ({
        status: "failed",
        sentMs: null,
        lastError: "WhatsApp refused the message (code 463)",
      }),
      inboundStoredMs: async () => null,
      accountJid: async () => null,
    };
    const result = await runWatchdog({ config, incidents, reads, probes, alerts, log: quiet, project: "t" }, NOW);
    assert.equal(result.status, "done");
    assert.deepEqual(updates, [{ key: "OUT_20251230T1800", result: "FAIL" }]);
    assert.equal(sends.length, 1, "one send for the whole run");
    assert.equal(sends[0]!.length, 1, "in one message");
    assert.match(sends[0]![0]!, /heartbeat/i);
    assert.match(sends[0]![0]!, /probe/i);
  });
});
