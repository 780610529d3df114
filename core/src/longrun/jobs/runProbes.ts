import type { ProbeType } from "../../ids";
import type { MonitoringConfig } from "../../documents/longrun";
import type { Evaluation } from "../incidents";
import type { ConfigSource, ProbeDoc, ProbeStore, WatchdogReads } from "../ports";
import {
  afterStep,
  failStreak,
  judgeInbound,
  judgeOutbound,
  judgeQueue,
  nextProbeStep,
  planProbe,
  retryNotStarted,
  retryStarted,
  skippedProbe,
  type AttemptOutcome,
} from "../probes";
import { reportEvaluations, type AlertDeps } from "./runAlerting";

export interface ProbeDeps extends AlertDeps {
  config: ConfigSource;
  reads: Pick<WatchdogReads, "outboxView">;
  probes: ProbeStore;
}

const PROBE_TEXT = (key: string, attempt: number) => `wa-gateway probe ${key} #${attempt}`;

async function startAttempt(
  deps: Pick<ProbeDeps, "probes">,
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
    template: plan.template,
  });
  return { ...sent, targetAccountId, deadlineSec: plan.deadlineSec };
}

/** What starting a probe came to; `exists`: that key was already started (a rerun). */
export type ProbeStart = "PENDING" | "SKIPPED" | "exists";
/** What one watchdog pass did to a pending probe. */
export type ProbeAdvance = "PASS" | "FAIL" | "RETRY";

/** Starts probes. Deterministic keys: running a slot twice starts nothing new. */
export async function startProbes(deps: ProbeDeps, probes: { type: ProbeType; key: string }[], nowMs: number) {
  const { config } = await deps.config.loadConfig();
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
        await deps.probes.updateProbe(key, skippedProbe(fields.skipped));
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
  const advanced = await advanceProbes(deps, nowMs);
  if (advanced.evaluations.length) {
    await reportEvaluations(deps, advanced.evaluations, nowMs, config.alertRepeatSec * 1000);
  }
  return started;
}

async function judge(deps: ProbeDeps, p: ProbeDoc, nowMs: number): Promise<AttemptOutcome> {
  const deadlineSec = p.deadlineSec ?? 0;
  if (p.type === "QUEUE")
    return judgeQueue(await deps.reads.outboxView(nowMs), (await deps.config.loadConfig()).config);
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

/**
 * Finishes or retries pending probes. A probe's final result re-evaluates its `probe_fail`
 * incident: the evaluations are answered for the caller to apply and announce with its own.
 */
export async function advanceProbes(
  deps: ProbeDeps,
  nowMs: number,
): Promise<{ outcome: Record<string, ProbeAdvance>; evaluations: Evaluation[] }> {
  const due = await deps.probes.pendingProbes();
  if (due.length === 0) return { outcome: {}, evaluations: [] };
  const { config } = await deps.config.loadConfig();
  const outcome: Record<string, ProbeAdvance> = {};
  const finishedTypes = new Set<ProbeType>();
  for (const pending of due) {
    let p = pending;
    if (p.retryAtMs !== null) {
      if (nowMs < p.retryAtMs) continue;
      const fields = await startAttempt(deps, p, p.attempt, config).catch((err: Error) => ({ skipped: err.message }));
      if ("skipped" in fields) {
        await deps.probes.updateProbe(p.key, retryNotStarted(fields.skipped));
        outcome[p.key] = "FAIL";
        finishedTypes.add(p.type);
        continue;
      }
      const started = { ...fields, ...retryStarted(nowMs) };
      await deps.probes.updateProbe(p.key, started);
      p = { ...p, ...started };
    }
    const step = nextProbeStep(p.attempt, await judge(deps, p, nowMs), nowMs, config.probes.retryAfterSec);
    if (step.kind === "wait") continue;
    await deps.probes.updateProbe(p.key, afterStep(p.attempt, step));
    if (step.kind === "retry") {
      outcome[p.key] = "RETRY";
      deps.log.info("probe_retry_scheduled", { probeKey: p.key, reason: step.reason });
      continue;
    }
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
  return { outcome, evaluations };
}
