import type { Severity } from "./incidentTypes";
import type { HeartbeatAnalysis } from "./heartbeatMath";
import type { LogFindings } from "./logCheckpoints";

/**
 * GO/NO-GO after a deploy (the post-deploy runbook, adapted to this system): checkpoints over
 * the first hour from Firestore and, when an export is given, from the logs. Each is OK, WARNING
 * or CRITICAL by the table below; any CRITICAL or three WARNINGs is NO-GO, one or two is MONITOR.
 */

export type CheckpointLevel = "OK" | "WARNING" | "CRITICAL";
export type Verdict = "GO" | "MONITOR" | "NO-GO";

export interface Checkpoint {
  name: string;
  level: CheckpointLevel;
  /** What was measured, in words an operator reads at 3 a.m. */
  detail: string;
  /** The rule that decided the level. */
  rule: string;
}

/** A count or rate: WARNING above `warning`, CRITICAL above `critical`. */
interface Limit {
  warning: number;
  critical: number;
}

/** The threshold table (README, "GO/NO-GO after a deploy"). */
export const GO_NO_GO_THRESHOLDS = {
  /** % of finished outbox entries (sent + failed) that failed. */
  failedSendPct: { warning: 5, critical: 10 },
  /** % of outbox entries that needed more than one attempt. */
  retriedSendPct: { warning: 10, critical: 30 },
  /** Age of the oldest queued entry, seconds. */
  outboxLagSec: { warning: 120, critical: 300 },
  /** Heartbeat coverage since the deploy, %: WARNING under `warning`, CRITICAL under `critical`. */
  heartbeatCoveragePct: { warning: 95, critical: 80 },
  /** Longest heartbeat gap since the deploy, seconds. */
  maxHeartbeatGapSec: { warning: 120, critical: 300 },
  /** Log entries (the runbook's decision matrix). */
  internalErrors: { warning: 5, critical: 15 },
  authFailures: { warning: 19, critical: 50 },
  rateLimited: { warning: 5, critical: 20 },
  retries: { warning: 10, critical: 30 },
  /** Longest run of continuous server errors in the logs, seconds (rollback trigger: > 5 minutes). */
  continuousErrorsSec: { warning: 60, critical: 300 },
  /** Refused cross-tenant accesses since the deploy: any is CRITICAL until reviewed. */
  crossTenantRefusals: { warning: 0, critical: 0 },
  /** Any unmasked secret in a log line is CRITICAL. */
  unmaskedSecrets: { warning: 0, critical: 0 },
} as const satisfies Record<string, Limit>;

function above(value: number, limit: Limit): CheckpointLevel {
  return value > limit.critical ? "CRITICAL" : value > limit.warning ? "WARNING" : "OK";
}
const rule = (limit: Limit, unit = "") => `WARNING > ${limit.warning}${unit}, CRITICAL > ${limit.critical}${unit}`;

export interface DeployFacts {
  outbox: { total: number; sent: number; failed: number; queued: number; processing: number; retried: number };
  oldestQueuedAgeSec: number | null;
  openIncidents: { type: string; key: string; severity: Severity }[];
  /** Inbound messages stored since the deploy (GO needs at least one each way). */
  inboundStored: number;
  /** Security events `cross_tenant_refused` since the deploy. */
  crossTenantRefusals: number;
  heartbeats: Pick<HeartbeatAnalysis, "coverage" | "observedBuckets" | "expectedBeats" | "maxGap">;
  probes: { key: string; result: string; reason: string | null }[];
  logs: LogFindings | null;
  /** Whether the functions' service account can sign media URLs (null: not checked, e.g. on the emulator). */
  mediaSigning: MediaSigningCheck | null;
}

/**
 * One V4 URL signed as the functions' service account, through the IAM Credentials API (what
 * whatsappProxyCreateUpload and whatsappProxyGetMediaUrl do), and whether that account holds the
 * Token Creator role on itself (what lets the functions sign as themselves).
 */
export type MediaSigningCheck =
  | { kind: "signed"; serviceAccount: string }
  | { kind: "no_self_grant"; serviceAccount: string }
  | { kind: "refused"; serviceAccount: string; reason: string };

function mediaSigningCheckpoint(check: MediaSigningCheck): Checkpoint {
  const { serviceAccount } = check;
  const grant = `gcloud iam service-accounts add-iam-policy-binding ${serviceAccount} --member serviceAccount:${serviceAccount} --role roles/iam.serviceAccountTokenCreator`;
  return {
    name: "media URL signing",
    level: check.kind === "signed" ? "OK" : "CRITICAL",
    detail:
      check.kind === "signed"
        ? `a URL signed as ${serviceAccount}, which may sign as itself`
        : check.kind === "no_self_grant"
          ? `${serviceAccount} lacks the Token Creator role on itself: every upload and media URL fails. Grant it: ${grant}`
          : `signing as ${serviceAccount} was refused (${check.reason}): enable iamcredentials.googleapis.com and grant it: ${grant}`,
    rule: "CRITICAL: the functions cannot sign media URLs (docs/deploying.md, the media bucket)",
  };
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

export function deployCheckpoints(facts: DeployFacts): Checkpoint[] {
  const t = GO_NO_GO_THRESHOLDS;
  const { outbox } = facts;
  const finished = outbox.sent + outbox.failed;
  const failedPct = pct(outbox.failed, finished);
  const retriedPct = pct(outbox.retried, outbox.total);
  const checkpoints: Checkpoint[] = [
    {
      name: "failed sends",
      level: above(failedPct, t.failedSendPct),
      detail: finished
        ? `${outbox.failed} of ${finished} finished sends failed (${failedPct} %)`
        : `no send finished yet (${outbox.queued} queued, ${outbox.processing} in progress)`,
      rule: `${rule(t.failedSendPct, " %")} (the runbook's rollback trigger, > 50 % failing, is well past CRITICAL)`,
    },
    {
      name: "first messages both ways",
      level: outbox.sent > 0 && facts.inboundStored > 0 ? "OK" : "WARNING",
      detail: `${outbox.sent} outbound sent, ${facts.inboundStored} inbound stored since the deploy`,
      rule: "GO needs at least 1 successful outbound and 1 inbound: WARNING until both",
    },
    {
      name: "cross-tenant access",
      level: above(facts.crossTenantRefusals, t.crossTenantRefusals),
      detail: facts.crossTenantRefusals
        ? `${facts.crossTenantRefusals} refused cross-tenant access(es) since the deploy, not reviewed: npm run security -- list, then review each (npm run security -- review <id> --note …) before GO`
        : "no refused cross-tenant access",
      rule: "CRITICAL: any security event cross_tenant_refused (NO-GO until reviewed)",
    },
    {
      name: "send retries",
      level: above(retriedPct, t.retriedSendPct),
      detail: `${outbox.retried} of ${outbox.total} sends needed more than one attempt (${retriedPct} %)`,
      rule: rule(t.retriedSendPct, " %"),
    },
    {
      name: "outbox lag",
      level: above(facts.oldestQueuedAgeSec ?? 0, t.outboxLagSec),
      detail:
        facts.oldestQueuedAgeSec === null
          ? "nothing queued"
          : `oldest queued entry waiting ${facts.oldestQueuedAgeSec} s`,
      rule: rule(t.outboxLagSec, " s"),
    },
  ];

  const p1 = facts.openIncidents.filter((i) => i.severity === "P1");
  const p2 = facts.openIncidents.filter((i) => i.severity === "P2");
  checkpoints.push({
    name: "open incidents",
    level: p1.length ? "CRITICAL" : p2.length ? "WARNING" : "OK",
    detail: facts.openIncidents.length
      ? facts.openIncidents.map((i) => `${i.severity} ${i.type}${i.key ? ` (${i.key})` : ""}`).join(", ")
      : "none open",
    rule: "WARNING: a P2 open, CRITICAL: a P1 open",
  });

  const hb = facts.heartbeats;
  const coveragePct = hb.coverage === null ? 0 : Math.round(hb.coverage * 1000) / 10;
  checkpoints.push({
    name: "heartbeat coverage",
    level:
      coveragePct < t.heartbeatCoveragePct.critical
        ? "CRITICAL"
        : coveragePct < t.heartbeatCoveragePct.warning
          ? "WARNING"
          : "OK",
    detail:
      hb.observedBuckets === 0
        ? "no heartbeat since the deploy: is the worker running?"
        : `${hb.observedBuckets} of ${hb.expectedBeats} expected beats (${coveragePct} %)`,
    rule: `WARNING < ${t.heartbeatCoveragePct.warning} %, CRITICAL < ${t.heartbeatCoveragePct.critical} %`,
  });
  const gapSec = hb.maxGap?.durationSec ?? 0;
  checkpoints.push({
    name: "heartbeat gaps",
    level: above(gapSec, t.maxHeartbeatGapSec),
    detail: hb.maxGap ? `longest gap ${gapSec} s from ${new Date(hb.maxGap.startMs).toISOString()}` : "no gap",
    rule: rule(t.maxHeartbeatGapSec, " s"),
  });

  const failedProbes = facts.probes.filter((p) => p.result === "FAIL");
  const passed = facts.probes.filter((p) => p.result === "PASS");
  checkpoints.push({
    name: "probes",
    level: failedProbes.length ? "CRITICAL" : passed.length ? "OK" : "WARNING",
    detail: failedProbes.length
      ? failedProbes.map((p) => `${p.key} FAIL: ${p.reason ?? "no reason"}`).join("; ")
      : passed.length
        ? `${passed.map((p) => p.key).join(", ")} PASS`
        : facts.probes.length
          ? `none passed yet (${facts.probes.map((p) => `${p.key} ${p.result}`).join(", ")})`
          : "no probe since the deploy: run `npm run probe -- OUT` and `npm run probe -- IN`",
    rule: "CRITICAL: a probe FAILED, WARNING: none PASSED yet",
  });

  if (facts.mediaSigning) checkpoints.push(mediaSigningCheckpoint(facts.mediaSigning));
  if (facts.logs) checkpoints.push(...logCheckpointsFrom(facts.logs));
  return checkpoints;
}

function logCheckpointsFrom(logs: LogFindings): Checkpoint[] {
  const t = GO_NO_GO_THRESHOLDS;
  const counted = (name: string, value: number, limit: Limit, what: string): Checkpoint => ({
    name,
    level: above(value, limit),
    detail: `${value} ${what} in ${logs.entries} log entries`,
    rule: rule(limit),
  });
  return [
    counted("internal errors", logs.internalErrors, t.internalErrors, "errors (severity ERROR+, HTTP 5xx, internal)"),
    counted("401/403", logs.authFailures, t.authFailures, "refused as unauthenticated or permission-denied"),
    counted("429", logs.rateLimited, t.rateLimited, "rate-limited (429, resource-exhausted)"),
    {
      name: "continuous 5xx",
      level: above(logs.longestErrorRunSec, t.continuousErrorsSec),
      detail: logs.longestErrorRunSec
        ? `server errors without a success between them for ${logs.longestErrorRunSec} s`
        : "no continuous run of server errors",
      rule: `${rule(t.continuousErrorsSec, " s")} (rollback trigger: > 5 minutes of continuous 500 errors)`,
    },
    counted("retries", logs.retries, t.retries, "send retries scheduled"),
    {
      name: "unmasked secrets",
      level: above(logs.secrets.length, t.unmaskedSecrets),
      detail: logs.secrets.length
        ? logs.secrets
            .slice(0, 5)
            .map((s) => `${s.kind} (${s.sample}) in ${s.where}`)
            .join("; ") + (logs.secrets.length > 5 ? `; ${logs.secrets.length - 5} more` : "")
        : `none in ${logs.entries} log entries`,
      rule: "CRITICAL: any JWT, bearer token, bot token or private key in a log line",
    },
  ];
}

export function verdictOf(checkpoints: Checkpoint[]): Verdict {
  const warnings = checkpoints.filter((c) => c.level === "WARNING").length;
  if (checkpoints.some((c) => c.level === "CRITICAL") || warnings >= 3) return "NO-GO";
  return warnings > 0 ? "MONITOR" : "GO";
}

/** Distinct exit codes, so a pipeline can tell them apart (1 stays "could not evaluate"). */
export const VERDICT_EXIT_CODES: Record<Verdict, number> = { GO: 0, MONITOR: 10, "NO-GO": 20 };
