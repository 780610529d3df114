import type { MonitoringConfig } from "../documents/longrun";
import { GLOBAL_KEY, type Evaluation } from "./incidents";
import type { Rollup } from "./rollup";

/**
 * The long-run runbook's daily targets as rules over a complete day's rollup: probe pass rate
 * under `probePassRateMin` (per probe type that ran) and more than `incidentsPerDayMax` incidents
 * opened. One incident each (key `global`): the next complete day within target resolves it.
 */
export function evaluateRollupTargets(
  rollup: Pick<Rollup, "date" | "complete" | "probes" | "incidents">,
  config: MonitoringConfig,
): Evaluation[] {
  if (!rollup.complete) return [];
  const t = config.alertThresholds;
  const rates = Object.entries(rollup.probes).filter(([, r]) => r.passRate !== null);
  const low = rates.filter(([, r]) => r.passRate! < t.probePassRateMin);
  const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;
  return [
    {
      type: "probe_pass_rate",
      key: GLOBAL_KEY,
      active: low.length > 0,
      reason: rates.length
        ? `${rollup.date}: probe pass rate ${rates.map(([type, r]) => `${type} ${pct(r.passRate!)}`).join(", ")} (alert under ${pct(t.probePassRateMin)})`
        : `${rollup.date}: no probe ran`,
    },
    {
      type: "incident_count",
      key: GLOBAL_KEY,
      active: rollup.incidents.opened > t.incidentsPerDayMax,
      reason: `${rollup.date}: ${rollup.incidents.opened} incidents opened (alert above ${t.incidentsPerDayMax})`,
    },
  ];
}

/** One row per alert rule, with its live threshold: what `npm run report` prints beside the runbooks' tables. */
export function alertRules(
  config: MonitoringConfig,
): { rule: string; alert: string; checked: string; incident: string }[] {
  const t = config.alertThresholds;
  const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;
  return [
    {
      rule: "heartbeats stopped",
      alert: "no beat for 2 intervals",
      checked: "every minute",
      incident: "missed_heartbeat",
    },
    {
      rule: "heartbeats missed",
      alert: `> ${t.missedHbPerHour} in 1 h`,
      checked: "every minute",
      incident: "heartbeat_gaps",
    },
    {
      rule: "heartbeat coverage",
      alert: `< ${pct(t.coverageMin)} over 24 h`,
      checked: "every minute",
      incident: "low_coverage",
    },
    {
      rule: "account down",
      alert: `> ${t.accountDownMinutes} min (P1 past ${t.accountDownP1Minutes} min)`,
      checked: "every minute",
      incident: "account_down",
    },
    { rule: "no account connected", alert: "0 connected", checked: "every minute", incident: "no_active_account" },
    {
      rule: "reconnect loop",
      alert: `> ${t.reconnectsPerHour} reconnects in 1 h`,
      checked: "every minute",
      incident: "reconnect_loop",
    },
    { rule: "queue depth", alert: `> ${t.queueDepth} queued`, checked: "every minute", incident: "queue_depth" },
    {
      rule: "outbox lag",
      alert: `oldest queued > ${t.outboxLagSeconds} s`,
      checked: "every minute",
      incident: "outbox_lag",
    },
    {
      rule: "failed sends burst",
      alert: `> ${t.failedLast5m} in 5 min`,
      checked: "every minute",
      incident: "failed_sends",
    },
    {
      rule: "delivery rate",
      alert: `< ${pct(t.deliveryRateMin)} over 1 h with > ${t.deliveryRateMinMessages} messages (P1 under 50 %)`,
      checked: "every 15 min",
      incident: "delivery_rate",
    },
    {
      rule: "error rate",
      alert: `> ${t.errorsPerHour} failed sends in 1 h`,
      checked: "every 15 min",
      incident: "error_rate",
    },
    {
      rule: "probe failures",
      alert: `${t.consecutiveProbeFails} in a row`,
      checked: "each probe",
      incident: "probe_fail",
    },
    {
      rule: "probe pass rate",
      alert: `< ${pct(t.probePassRateMin)} in a day (target ≥ 95 %, queue ≥ 98 %)`,
      checked: "daily rollup",
      incident: "probe_pass_rate",
    },
    {
      rule: "incident count",
      alert: `> ${t.incidentsPerDayMax} in a day (target ≤ 5)`,
      checked: "daily rollup",
      incident: "incident_count",
    },
    {
      rule: "functions' errors and latency",
      alert: "> 10 errors in 5 min, > 5 % errors, > 5 s mean",
      checked: "Cloud Monitoring",
      incident: "(deploy/monitoring policies)",
    },
  ];
}
