import { parseRollupDate, probeKey, type ProbeType } from "../ids";
import type { MonitoringConfig } from "../documents/longrun";
import { alertLines, alertMessages, noticeId, type AlertLine } from "./alertMessage";
import { GLOBAL_KEY, type Evaluation, type IncidentAction } from "./incidents";
import type { AlertChannel, JobLog, MonitoringStore, ProbeDoc, ProbeStore, RollupStore } from "./ports";
import {
  failStreak,
  judgeInbound,
  judgeOutbound,
  judgeQueue,
  nextProbeStep,
  planProbe,
  type AttemptOutcome,
} from "./probes";
import { computeRollup } from "./rollup";
import { evaluateAccounts, evaluateHeartbeats, evaluateOutbox } from "./watchdog";

/** The monitoring jobs, with every dependency passed in. */

export interface AlertDeps {
  store: MonitoringStore;
  alerts: AlertChannel;
  log: JobLog;
  project: string;
}

/**
 * Sends what a committed set of incident actions announces, with any notices an earlier run
 * could not deliver: one message for the whole run (split past Telegram's 4096 characters),
 * accounted message by message.
 */
export async function announce(
  deps: AlertDeps,
  actions: IncidentAction[],
  nowMs: number,
  carried: AlertLine[] = [],
): Promise<"sent" | "nothing" | "disabled" | "failed"> {
  for (const a of actions) {
    const type = a.kind === "open" ? a.evaluation.type : a.incident.type;
    const key = a.kind === "open" ? a.evaluation.key : a.incident.key;
    deps.log.info(`incident_${a.kind === "open" ? "opened" : a.kind === "remind" ? "reminded" : "resolved"}`, {
      incidentId: a.id,
      type,
      key,
      ...(a.kind === "resolve" ? { mttrSec: a.mttrSec } : {}),
    });
  }
  const lines = [...carried, ...alertLines(actions)];
  if (lines.length === 0) return "nothing";
  if (!deps.alerts.enabled) return "disabled";
  const messages = alertMessages(lines, nowMs, deps.project);
  const { delivered, error } = await deps.alerts.send(messages.map((m) => m.text));
  const sent = messages.slice(0, delivered).flatMap((m) => m.lines);
  const unsent = messages.slice(delivered).flatMap((m) => m.lines);
  // An open or remind line stands for the incident the run claimed for it.
  const claimed = new Map(
    actions.filter((a) => a.kind === "open" || a.kind === "remind").map((a) => [noticeId(lineOf(a)), a.id]),
  );
  const incidentIds = (ls: AlertLine[]) => ls.flatMap((l) => claimed.get(noticeId(l)) ?? []);
  if (sent.length) {
    await deps.store.confirmDelivered({
      incidentIds: incidentIds(sent),
      notices: sent.filter((l) => l.kind === "resolve"),
    });
  }
  if (unsent.length === 0) {
    deps.log.info("alerts_sent", { count: lines.length, messages: messages.length });
    return "sent";
  }
  deps.log.error("alerts_failed", { count: unsent.length, delivered: sent.length, error });
  // What Telegram did not take stays due (open incidents) or is kept for the next run (resolutions);
  // what it took is never sent again.
  await deps.store.unclaimNotifications(incidentIds(unsent));
  await deps.store.deferNotices(unsent.filter((l) => l.kind === "resolve"));
  return "failed";
}

function lineOf(a: IncidentAction & { kind: "open" | "remind" }): Pick<AlertLine, "kind" | "type" | "key" | "sinceMs"> {
  return a.kind === "open"
    ? { kind: "open", type: a.evaluation.type, key: a.evaluation.key, sinceMs: a.tsStartMs }
    : { kind: "remind", type: a.incident.type, key: a.incident.key, sinceMs: a.incident.tsStartMs };
}

/** Apply evaluations outside the watchdog (probe results, rollup failures) and announce them. */
export async function reportEvaluations(deps: AlertDeps, evaluations: Evaluation[], nowMs: number, repeatMs: number) {
  const applied = await deps.store.applyIncidents({ nowMs, evaluations, repeatMs });
  if (applied.status === "applied") await announce(deps, applied.actions, nowMs);
}

/** Every minute: heartbeats, outbox, accounts, config; then pending probes. */
export async function runWatchdog(deps: AlertDeps & { probes: ProbeStore }, scheduleMs: number, nowMs = scheduleMs) {
  const cfg = await deps.store.loadConfig();
  const config = cfg.config;
  const [state, counts, outbox, accountCounts, watched] = await Promise.all([
    deps.store.heartbeatState(),
    deps.store.heartbeatCounts(nowMs),
    deps.store.outboxView(nowMs),
    deps.store.accountCounts(nowMs),
    deps.store.watchedAccounts(nowMs),
  ]);
  const evaluations: Evaluation[] = [
    ...evaluateHeartbeats(state, counts, config, nowMs),
    ...evaluateOutbox(outbox, config),
    ...evaluateAccounts(accountCounts, watched, config, nowMs),
    {
      type: "config_invalid",
      key: GLOBAL_KEY,
      active: cfg.kind === "invalid",
      reason: cfg.kind === "invalid" ? `config/current rejected: ${cfg.problems}` : "config valid",
    },
  ];
  if (cfg.kind === "invalid") deps.log.warn("monitoring_config_invalid", { problems: cfg.problems });
  const applied = await deps.store.applyIncidents({
    nowMs,
    evaluations,
    repeatMs: config.alertRepeatSec * 1000,
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
  const alerts = await announce(deps, applied.actions, nowMs, applied.deferred);
  const probes = await advanceProbes(deps, nowMs);
  return { status: "done" as const, actions: applied.actions, alerts, probes, evaluations };
}

const PROBE_TEXT = (key: string, attempt: number) => `wa-gateway probe ${key} #${attempt}`;

async function startAttempt(
  deps: { probes: ProbeStore },
  probe: Pick<ProbeDoc, "key" | "type">,
  attempt: number,
  config: MonitoringConfig,
): Promise<Partial<ProbeDoc> | { skipped: string }> {
  const plan = planProbe(probe.type, config);
  if (plan.kind === "skipped") return { skipped: plan.reason };
  if (plan.kind === "measure") return {};
  let toJid = plan.toJid;
  let targetAccountId: string | null = null;
  if (probe.type === "IN") {
    targetAccountId = config.probes.inbound.targetAccountId;
    toJid = await deps.probes.accountJid(targetAccountId!);
    if (!toJid) return { skipped: `inbound probe target account ${targetAccountId} has never been linked` };
  }
  const sent = await deps.probes.sendProbeMessage({
    accountId: plan.accountId,
    toJid: toJid!,
    clientMessageId: `${probe.key}_${attempt}`,
    text: PROBE_TEXT(probe.key, attempt),
  });
  return { ...sent, targetAccountId, deadlineSec: plan.deadlineSec };
}

/** The scheduled probes of a slot: OUT and IN every 6 h, QUEUE once a day (the 00:00 slot). */
export function scheduledProbes(slot: Date): { type: ProbeType; key: string }[] {
  const types: ProbeType[] = slot.getUTCHours() === 0 ? ["OUT", "IN", "QUEUE"] : ["OUT", "IN"];
  return types.map((type) => ({ type, key: probeKey(type, slot) }));
}

/** What starting a probe came to; `exists`: that key was already started (a rerun). */
export type ProbeStart = "PENDING" | "SKIPPED" | "exists";
/** What one watchdog pass did to a pending probe. */
export type ProbeAdvance = "PASS" | "FAIL" | "RETRY";

/** Starts probes. Deterministic keys: running a slot twice starts nothing new. */
export async function startProbes(
  deps: AlertDeps & { probes: ProbeStore },
  probes: { type: ProbeType; key: string }[],
  nowMs: number,
) {
  const { config } = await deps.store.loadConfig();
  const started: Record<string, ProbeStart> = {};
  for (const { type, key } of probes) {
    const base: ProbeDoc = {
      key,
      type,
      result: "PENDING",
      attempt: 1,
      startedMs: nowMs,
      attemptStartedMs: nowMs,
      retryAtMs: null,
      requestId: null,
      providerMessageId: null,
      targetAccountId: null,
      deadlineSec: null,
    };
    const plan = planProbe(type, config);
    if (plan.kind === "skipped") {
      const created = await deps.probes.createProbe({
        ...base,
        result: "SKIPPED",
        reason: plan.reason,
        latencyMs: null,
        finished: true,
      });
      started[key] = created ? "SKIPPED" : "exists";
      if (created) deps.log.info("probe_skipped", { probeKey: key, reason: plan.reason });
      continue;
    }
    // Claim the key first, so a second run of the slot sends nothing.
    if (!(await deps.probes.createProbe({ ...base, reason: null, latencyMs: null, finished: false }))) {
      started[key] = "exists";
      continue;
    }
    try {
      const fields = await startAttempt(deps, base, 1, config);
      if ("skipped" in fields) {
        await deps.probes.updateProbe(key, { result: "SKIPPED", reason: fields.skipped, finished: true });
        started[key] = "SKIPPED";
        continue;
      }
      await deps.probes.updateProbe(key, fields);
      started[key] = "PENDING";
      deps.log.info("probe_started", { probeKey: key });
    } catch (err) {
      await deps.probes.updateProbe(key, { reason: `could not start: ${(err as Error).message}` });
      started[key] = "PENDING";
      deps.log.warn("probe_start_failed", { probeKey: key, error: (err as Error).message });
    }
  }
  await advanceProbes(deps, nowMs);
  return started;
}

async function judge(deps: AlertDeps & { probes: ProbeStore }, p: ProbeDoc, nowMs: number): Promise<AttemptOutcome> {
  const deadlineSec = p.deadlineSec ?? 0;
  if (p.type === "QUEUE") return judgeQueue(await deps.store.outboxView(nowMs), (await deps.store.loadConfig()).config);
  if (!p.requestId) return { kind: "fail", reason: "the probe message was never queued" };
  if (p.type === "OUT") {
    const entry = await deps.probes.outboxEntry(p.requestId);
    return judgeOutbound({
      status: entry?.status,
      startedMs: p.attemptStartedMs,
      sentMs: entry?.sentMs ?? null,
      nowMs,
      deadlineSec,
      lastError: entry?.lastError,
    });
  }
  const storedMs = await deps.probes.inboundStoredMs(p.targetAccountId!, p.providerMessageId!);
  return judgeInbound({ storedMs, startedMs: p.attemptStartedMs, nowMs, deadlineSec });
}

/** Finishes or retries pending probes; a probe's final result re-evaluates its `probe_fail` incident. */
export async function advanceProbes(deps: AlertDeps & { probes: ProbeStore }, nowMs: number) {
  const pending = await deps.probes.pendingProbes();
  if (pending.length === 0) return {};
  const { config } = await deps.store.loadConfig();
  const outcome: Record<string, ProbeAdvance> = {};
  const finishedTypes = new Set<ProbeType>();
  for (const p of pending) {
    if (p.retryAtMs !== null) {
      if (nowMs < p.retryAtMs) continue;
      const fields = await startAttempt(deps, p, p.attempt, config).catch((err: Error) => ({ skipped: err.message }));
      if ("skipped" in fields) {
        await deps.probes.updateProbe(p.key, {
          result: "FAIL",
          reason: `retry could not start: ${fields.skipped}`,
          retryAtMs: null,
          finished: true,
        });
        outcome[p.key] = "FAIL";
        finishedTypes.add(p.type);
        continue;
      }
      await deps.probes.updateProbe(p.key, { ...fields, retryAtMs: null, attemptStartedMs: nowMs });
      Object.assign(p, fields, { retryAtMs: null, attemptStartedMs: nowMs });
    }
    const step = nextProbeStep(p.attempt, await judge(deps, p, nowMs), nowMs, config.probes.retryAfterSec);
    if (step.kind === "wait") continue;
    if (step.kind === "retry") {
      await deps.probes.updateProbe(p.key, {
        attempt: p.attempt + 1,
        retryAtMs: step.retryAtMs,
        reason: `attempt ${p.attempt} failed: ${step.reason}`,
      });
      outcome[p.key] = "RETRY";
      deps.log.info("probe_retry_scheduled", { probeKey: p.key, reason: step.reason });
      continue;
    }
    await deps.probes.updateProbe(p.key, {
      result: step.result,
      reason: step.reason,
      latencyMs: step.latencyMs,
      finished: true,
    });
    outcome[p.key] = step.result;
    finishedTypes.add(p.type);
    deps.log.info("probe_finished", {
      probeKey: p.key,
      result: step.result,
      latencyMs: step.latencyMs,
      reason: step.reason,
    });
  }
  const evaluations: Evaluation[] = [];
  for (const type of finishedTypes) {
    const streak = failStreak(await deps.probes.recentResults(type, config.alertThresholds.consecutiveProbeFails + 5));
    evaluations.push({
      type: "probe_fail",
      key: type,
      active: streak >= config.alertThresholds.consecutiveProbeFails,
      reason: `${type} probe failed ${streak} times in a row (threshold ${config.alertThresholds.consecutiveProbeFails})`,
    });
  }
  if (evaluations.length) await reportEvaluations(deps, evaluations, nowMs, config.alertRepeatSec * 1000);
  return outcome;
}

export class InvalidRollupDate extends Error {}

/** The rollup of one UTC day; rerunning it rewrites the same numbers. */
export async function runRollup(
  deps: AlertDeps & { rollups: RollupStore },
  date: string,
  nowMs: number,
  trigger: string,
) {
  const day = parseRollupDate(date);
  if (!day) throw new InvalidRollupDate(`date must be a real yyyy-mm-dd, got ${JSON.stringify(date)}`);
  const fromMs = day.getTime();
  if (fromMs > nowMs) throw new InvalidRollupDate(`${date} has not started yet`);
  const toMs = fromMs + 86_400_000;
  const { config } = await deps.store.loadConfig();
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
      [{ type: "rollup_failed", key: date, active: false, reason: "rollup written" }],
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
