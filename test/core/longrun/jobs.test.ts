import assert from "node:assert/strict";
import {
  DEFAULT_MONITORING_CONFIG,
  reconcileIncidents,
  runRollup,
  type Evaluation,
  type JobLog,
  type MonitoringStore,
  type RollupStore,
} from "@wa-gateway/core";

const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The jobs' ports, in memory: what a job asked the outside world to do. */
function memoryPorts() {
  const evaluations: Evaluation[] = [];
  const runs: { status: string; error: string | null }[] = [];
  const store = {
    loadConfig: async () => ({ kind: "ok" as const, config: DEFAULT_MONITORING_CONFIG }),
    applyIncidents: async (args: { evaluations: Evaluation[]; nowMs: number; repeatMs: number }) => {
      evaluations.push(...args.evaluations);
      return { status: "applied" as const, actions: reconcileIncidents({ open: [], ...args }) };
    },
    unclaimNotifications: async () => undefined,
  } as unknown as MonitoringStore;
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
  return { store, rollups, evaluations, runs };
}

describe("monitoring jobs", () => {
  it("a rollup that fails opens rollup_failed for its date, records the failed run, and rethrows", async () => {
    const ports = memoryPorts();
    const deps = {
      ...ports,
      alerts: { enabled: false, send: async () => ({ delivered: 0, error: "off" }) },
      log: quiet,
      project: "t",
    };
    await assert.rejects(
      runRollup(deps, "2025-12-30", Date.parse("2025-12-31T00:05:00Z"), "schedule"),
      /deadline exceeded/,
    );
    assert.deepEqual(
      ports.evaluations.map((e) => [e.type, e.key, e.active]),
      [["rollup_failed", "2025-12-30", true]],
    );
    assert.deepEqual(ports.runs, [
      {
        job: "rollup",
        periodKey: "2025-12-30",
        startedMs: Date.parse("2025-12-31T00:05:00Z"),
        trigger: "schedule",
        status: "failed",
        error: "deadline exceeded",
      },
    ]);
  });
});
