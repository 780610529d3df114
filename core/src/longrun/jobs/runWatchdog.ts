import { GLOBAL_KEY, type Evaluation } from "../incidents";
import type { ConfigSource, ProbeStore, WatchdogReads } from "../ports";
import { evaluateAccountsDown } from "../accountDown";
import { evaluateUnheldAccounts, UNHELD_AFTER_MS } from "../capacity";
import { evaluateCloudTokens, TOKEN_WARNING_MS } from "../cloudTokens";
import { evaluateAccounts, evaluateHeartbeats, evaluateOutbox, evaluateUnhandledStanzas } from "../watchdog";
import { announce, incidentsAfter, type AlertDeps } from "./runAlerting";
import { advanceProbes } from "./runProbes";

export interface WatchdogDeps extends AlertDeps {
  config: ConfigSource;
  reads: WatchdogReads;
  probes: ProbeStore;
}

/** Every minute: heartbeats, outbox, accounts, config; then pending probes. */
export async function runWatchdog(deps: WatchdogDeps, scheduleMs: number, nowMs = scheduleMs) {
  const cfg = await deps.config.loadConfig();
  const config = cfg.config;
  const [state, counts, outbox, accountCounts, watched, liveness, unhandled, unheld, tokens] = await Promise.all([
    deps.reads.heartbeatState(),
    deps.reads.heartbeatCounts(nowMs),
    deps.reads.outboxView(nowMs),
    deps.reads.accountCounts(nowMs),
    deps.reads.watchedAccounts(nowMs),
    deps.reads.accountLiveness(nowMs, config.alertThresholds.accountDownMinutes * 60_000),
    deps.reads.unhandledStanzas?.() ?? [],
    deps.reads.unheldAccounts?.(nowMs, UNHELD_AFTER_MS),
    deps.reads.cloudTokens?.(nowMs, TOKEN_WARNING_MS) ?? [],
  ]);
  const evaluations: Evaluation[] = [
    ...evaluateHeartbeats(state, counts, config, nowMs),
    ...evaluateOutbox(outbox, config),
    ...evaluateAccounts(accountCounts, watched, config, nowMs),
    ...evaluateAccountsDown(liveness, config, nowMs),
    ...evaluateUnhandledStanzas(unhandled, nowMs),
    ...evaluateCloudTokens(tokens, nowMs),
    ...(unheld ? [evaluateUnheldAccounts(unheld)] : []),
    {
      type: "config_invalid",
      key: GLOBAL_KEY,
      active: cfg.kind === "invalid",
      reason: cfg.kind === "invalid" ? `config/current rejected: ${cfg.problems}` : "config valid",
    },
  ];
  if (cfg.kind === "invalid") deps.log.warn("monitoring_config_invalid", { problems: cfg.problems });
  const applied = await deps.incidents.applyIncidents({
    nowMs,
    decide: incidentsAfter(evaluations, nowMs, config.alertRepeatSec * 1000),
    run: {
      job: "watchdog",
      scheduleMs,
      ...(cfg.kind === "ok" ? { lastGoodConfig: config } : {}),
    },
  });
  if (applied.status === "duplicate_run") {
    deps.log.info("watchdog_duplicate_run", { scheduleTime: new Date(scheduleMs).toISOString() });
    return { status: "duplicate_run" as const };
  }
  // Pending probes advance under this run; what they conclude joins the run's one message.
  const probes = await advanceProbes(deps, nowMs);
  const probeActions = probes.evaluations.length
    ? await deps.incidents.applyIncidents({
        nowMs,
        decide: incidentsAfter(probes.evaluations, nowMs, config.alertRepeatSec * 1000),
      })
    : undefined;
  const actions = [...applied.actions, ...(probeActions?.status === "applied" ? probeActions.actions : [])];
  const alerts = await announce(deps, actions, nowMs, applied.deferred);
  return {
    status: "done" as const,
    actions,
    alerts,
    probes: probes.outcome,
    evaluations: [...evaluations, ...probes.evaluations],
  };
}
