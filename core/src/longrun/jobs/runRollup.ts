import { parseRollupDate } from "../../ids";
import type { ConfigSource, RollupStore } from "../ports";
import { computeRollup } from "../rollup";
import { evaluateRollupTargets } from "../rollupTargets";
import { reportEvaluations, type AlertDeps } from "./runAlerting";

export interface RollupDeps extends AlertDeps {
  config: ConfigSource;
  rollups: RollupStore;
}

export class InvalidRollupDate extends Error {}

/** The rollup of one UTC day; rerunning it rewrites the same numbers. */
export async function runRollup(deps: RollupDeps, date: string, nowMs: number, trigger: string) {
  const day = parseRollupDate(date);
  if (!day) throw new InvalidRollupDate(`date must be a real yyyy-mm-dd, got ${JSON.stringify(date)}`);
  const fromMs = day.getTime();
  if (fromMs > nowMs) throw new InvalidRollupDate(`${date} has not started yet`);
  const toMs = fromMs + 86_400_000;
  const { config } = await deps.config.loadConfig();
  const run = { job: "rollup", periodKey: date, startedMs: nowMs, trigger };
  try {
    const [beats, before, after, firstMs, incidents, probes] = await Promise.all([
      deps.rollups.beatsBetween(fromMs, toMs),
      deps.rollups.beatBefore(fromMs),
      deps.rollups.beatAtOrAfter(toMs),
      deps.rollups.firstBeatMs(),
      deps.rollups.incidentsTouching(fromMs, toMs),
      deps.rollups.probesBetween(fromMs, toMs),
    ]);
    const rollup = computeRollup({
      date,
      dayStartMs: fromMs,
      nowMs,
      beats,
      before,
      after: after && after.serverMs <= nowMs ? after : undefined,
      observableFromMs: firstMs,
      intervalSec: config.heartbeatIntervalSec,
      driftSec: config.driftSec,
      insufficientDataThreshold: config.insufficientDataThreshold,
      incidents,
      probes,
    });
    await deps.rollups.writeRollup(rollup, { computedAtMs: nowMs, trigger });
    await deps.rollups.recordRun({ ...run, status: "done", error: null });
    deps.log.info("rollup_written", {
      date,
      coverage: rollup.heartbeat.coverage,
      uptimePct: rollup.uptimePct,
      insufficientData: rollup.insufficientData,
    });
    await reportEvaluations(
      deps,
      [
        { type: "rollup_failed", key: date, active: false, reason: "rollup written" },
        ...evaluateRollupTargets(rollup, config),
      ],
      nowMs,
      config.alertRepeatSec * 1000,
    );
    return rollup;
  } catch (err) {
    deps.log.error("rollup_failed", { date, error: (err as Error).message });
    await deps.rollups
      .recordRun({ ...run, status: "failed", error: (err as Error).message })
      .catch((recordErr: Error) => deps.log.error("run_record_failed", { date, error: recordErr.message }));
    await reportEvaluations(
      deps,
      [
        {
          type: "rollup_failed",
          key: date,
          active: true,
          reason: `rollup of ${date} failed: ${(err as Error).message}`,
        },
      ],
      nowMs,
      config.alertRepeatSec * 1000,
    );
    throw err;
  }
}
