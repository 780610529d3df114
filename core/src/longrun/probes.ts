import { probeKey, type ProbeType } from "../ids";
import type { MonitoringConfig, ProbeResult } from "../documents/longrun";
import type { OutboxStatus } from "../documents/outbox";
import type { TemplateToSend } from "../proxies/contract";

/**
 * The probe lifecycle. A scheduled slot (or an admin) starts a probe; the watchdog advances it.
 *
 *   start ──not configured──► SKIPPED (final)
 *     │
 *     ▼ attempt 1 sent
 *   PENDING ──judge: pass──────────────────────────────► PASS (final, latency)
 *     │ judge: fail (attempt < MAX_PROBE_ATTEMPTS)
 *     ▼
 *   PENDING, retryAtMs set ──due: attempt 2 sent──► PENDING ──pass──► PASS
 *     │ the retry cannot start                          └──fail──► FAIL (final)
 *     ▼
 *   FAIL (final)
 *
 * Only a final FAIL counts towards `probe_fail`. Below: the plan, the judges, and each
 * transition as the document fields it writes.
 */

/** How often each probe type runs; the scheduler fires at the shortest period. */
export const PROBE_PERIOD_MS: Readonly<Record<ProbeType, number>> = {
  OUT: 6 * 3_600_000,
  IN: 6 * 3_600_000,
  QUEUE: 24 * 3_600_000,
};

/**
 * Hours between OUT and IN slots a deployment may choose (`PROBE_EVERY_HOURS`, deploy time; a
 * staging canary runs them hourly): divisors of 24, so every day has the 00:00 UTC slot the
 * queue probe runs in, and at most one slot an hour, which the `yyyyMMddHH` keys need.
 */
export const PROBE_EVERY_HOURS_CHOICES = [1, 2, 3, 4, 6, 8, 12, 24] as const;
export const DEFAULT_PROBE_EVERY_HOURS = 6;

/** `PROBE_EVERY_HOURS` as the deploy sets it (unset or empty: the default); anything else is refused. */
export function probeEveryHours(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_PROBE_EVERY_HOURS;
  const hours = Number(raw);
  if (!(PROBE_EVERY_HOURS_CHOICES as readonly number[]).includes(hours)) {
    throw new Error(
      `PROBE_EVERY_HOURS must be one of ${PROBE_EVERY_HOURS_CHOICES.join(", ")} (got ${JSON.stringify(raw)})`,
    );
  }
  return hours;
}

/** The probe scheduler's cron (UTC): on the hour, every `everyHours` hours from 00:00. */
export function probeSchedule(everyHours: number): string {
  if (everyHours === 1) return "0 * * * *";
  if (everyHours === 24) return "0 0 * * *";
  return `0 */${everyHours} * * *`;
}

/** The default cron: every six hours on the hour, the shortest period above. */
export const PROBE_SCHEDULE = probeSchedule(DEFAULT_PROBE_EVERY_HOURS);

/** The scheduled probes of a slot: each type whose period (OUT and IN: every `everyHours`) the slot falls on. */
export function scheduledProbes(
  slot: Date,
  everyHours: number = DEFAULT_PROBE_EVERY_HOURS,
): { type: ProbeType; key: string }[] {
  const periodMs = (type: ProbeType) => (type === "QUEUE" ? PROBE_PERIOD_MS.QUEUE : everyHours * 3_600_000);
  return (Object.keys(PROBE_PERIOD_MS) as ProbeType[])
    .filter((type) => slot.getTime() % periodMs(type) === 0)
    .map((type) => ({ type, key: probeKey(type, slot) }));
}

export type ProbePlan =
  | { kind: "skipped"; reason: string }
  | {
      kind: "send";
      accountId: string;
      toJid: string | null;
      deadlineSec: number;
      /** OUT on a Cloud API account: the approved template it goes as. */
      template: TemplateToSend | null;
    }
  | { kind: "measure" };

export function planProbe(type: ProbeType, config: MonitoringConfig): ProbePlan {
  const p = config.probes;
  if (type === "QUEUE") return { kind: "measure" };
  if (type === "OUT") {
    if (!p.outbound.accountId || !p.outbound.toJid) {
      return { kind: "skipped", reason: "outbound probe not configured: set probes.outbound.accountId and toJid" };
    }
    return {
      kind: "send",
      accountId: p.outbound.accountId,
      toJid: p.outbound.toJid,
      deadlineSec: p.outbound.deadlineSec,
      template: p.outbound.template,
    };
  }
  if (!p.inbound.senderAccountId || !p.inbound.targetAccountId) {
    return {
      kind: "skipped",
      reason: "inbound probe not configured: set probes.inbound.senderAccountId and targetAccountId",
    };
  }
  if (p.inbound.senderAccountId === p.inbound.targetAccountId) {
    return { kind: "skipped", reason: "inbound probe misconfigured: sender and target are the same account" };
  }
  return {
    kind: "send",
    accountId: p.inbound.senderAccountId,
    toJid: null,
    deadlineSec: p.inbound.deadlineSec,
    template: null,
  };
}

/** What one attempt came to. */
export type AttemptOutcome =
  { kind: "pass"; latencyMs: number } | { kind: "fail"; reason: string } | { kind: "pending" };

/** Outbound: PASS when the outbox entry is sent within the deadline. */
export function judgeOutbound(args: {
  status: OutboxStatus | undefined;
  startedMs: number;
  sentMs: number | null;
  nowMs: number;
  deadlineSec: number;
  lastError?: string | null;
}): AttemptOutcome {
  const deadlineMs = args.startedMs + args.deadlineSec * 1000;
  if (args.status === undefined) return { kind: "fail", reason: "probe message missing from the outbox" };
  if (args.sentMs !== null && args.status === "sent") {
    const latencyMs = Math.max(0, args.sentMs - args.startedMs);
    return args.sentMs <= deadlineMs
      ? { kind: "pass", latencyMs }
      : { kind: "fail", reason: `sent after ${Math.round(latencyMs / 1000)} s, deadline ${args.deadlineSec} s` };
  }
  if (args.status === "failed") return { kind: "fail", reason: `send failed: ${args.lastError ?? "unknown error"}` };
  if (args.nowMs > deadlineMs)
    return { kind: "fail", reason: `not sent within ${args.deadlineSec} s (status ${args.status})` };
  return { kind: "pending" };
}

/** Inbound: PASS when the main account stored the nonce message within the deadline. */
export function judgeInbound(args: {
  storedMs: number | null;
  startedMs: number;
  nowMs: number;
  deadlineSec: number;
}): AttemptOutcome {
  const deadlineMs = args.startedMs + args.deadlineSec * 1000;
  if (args.storedMs !== null) {
    const latencyMs = Math.max(0, args.storedMs - args.startedMs);
    return args.storedMs <= deadlineMs
      ? { kind: "pass", latencyMs }
      : { kind: "fail", reason: `stored after ${Math.round(latencyMs / 1000)} s, deadline ${args.deadlineSec} s` };
  }
  if (args.nowMs > deadlineMs) return { kind: "fail", reason: `not received within ${args.deadlineSec} s` };
  return { kind: "pending" };
}

/** Queue: PASS when the backlog is under both thresholds. Measured at once. */
export function judgeQueue(
  figures: { queuedCount: number; oldestQueuedAgeSec: number },
  config: MonitoringConfig,
): AttemptOutcome {
  const { maxQueued, maxOldestAgeSec } = config.probes.queue;
  const problems = [
    figures.queuedCount > maxQueued ? `${figures.queuedCount} queued (max ${maxQueued})` : null,
    figures.oldestQueuedAgeSec > maxOldestAgeSec
      ? `oldest queued ${figures.oldestQueuedAgeSec} s (max ${maxOldestAgeSec} s)`
      : null,
  ].filter(Boolean);
  return problems.length ? { kind: "fail", reason: problems.join(", ") } : { kind: "pass", latencyMs: 0 };
}

export const MAX_PROBE_ATTEMPTS = 2;

export type ProbeStep =
  | { kind: "wait" }
  | { kind: "final"; result: Extract<ProbeResult, "PASS" | "FAIL">; reason: string | null; latencyMs: number | null }
  | { kind: "retry"; retryAtMs: number; reason: string };

/** A failed first attempt is retried once, `retryAfterSec` later; only the second failure counts. */
export function nextProbeStep(
  attempt: number,
  outcome: AttemptOutcome,
  nowMs: number,
  retryAfterSec: number,
): ProbeStep {
  switch (outcome.kind) {
    case "pending":
      return { kind: "wait" };
    case "pass":
      return { kind: "final", result: "PASS", reason: null, latencyMs: outcome.latencyMs };
    case "fail":
      return attempt < MAX_PROBE_ATTEMPTS
        ? { kind: "retry", retryAtMs: nowMs + retryAfterSec * 1000, reason: outcome.reason }
        : { kind: "final", result: "FAIL", reason: outcome.reason, latencyMs: null };
  }
}

/** The document fields one transition writes. */
export interface ProbeUpdate {
  result?: ProbeResult;
  reason?: string | null;
  latencyMs?: number | null;
  attempt?: number;
  retryAtMs?: number | null;
  attemptStartedMs?: number;
  finished?: boolean;
}

/** Not configured (or its target never linked): SKIPPED, final. */
export function skippedProbe(reason: string): ProbeUpdate {
  return { result: "SKIPPED", reason, finished: true };
}

/** A due retry's attempt went out now. */
export function retryStarted(nowMs: number): ProbeUpdate {
  return { retryAtMs: null, attemptStartedMs: nowMs };
}

/** A due retry could not even be sent: FAIL, final. */
export function retryNotStarted(reason: string): ProbeUpdate {
  return { result: "FAIL", reason: `retry could not start: ${reason}`, retryAtMs: null, finished: true };
}

/** What a judged attempt's step writes (a wait writes nothing). */
export function afterStep(attempt: number, step: Exclude<ProbeStep, { kind: "wait" }>): ProbeUpdate {
  return step.kind === "retry"
    ? { attempt: attempt + 1, retryAtMs: step.retryAtMs, reason: `attempt ${attempt} failed: ${step.reason}` }
    : { result: step.result, reason: step.reason, latencyMs: step.latencyMs, finished: true };
}

/** Consecutive FAILs at the head of a newest-first list; SKIPPED and PENDING do not break or add. */
export function failStreak(newestFirst: ProbeResult[]): number {
  let streak = 0;
  for (const r of newestFirst) {
    if (r === "FAIL") streak++;
    else if (r === "PASS") break;
  }
  return streak;
}

/** A probe an admin starts by hand: its own minute-stamped key, so it never collides with a scheduled one. */
export function manualProbeKey(type: ProbeType, date: Date): string {
  return `${type}_${date.toISOString().replace(/[-:T]/g, "").slice(0, 12)}_manual`;
}
