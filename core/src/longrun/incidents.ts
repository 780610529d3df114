import { encodeIdSegment } from "../ids";
import type { Severity } from "../documents/longrun";

/**
 * The incident catalogue and the incident state machine: open → (reminded …) → resolved.
 * Severities follow the runbook's incident table; the actions are what the on-call engineer
 * reads in the alert.
 */

export const INCIDENT_TYPES = {
  missed_heartbeat: {
    severity: "P2",
    title: "Heartbeats stopped",
    action:
      "Check the worker is running (its /healthz and logs) and who holds wa_metrics/longrun/locks/heartbeat-scheduler; restart the worker if it is down.",
  },
  heartbeat_gaps: {
    severity: "P2",
    title: "Heartbeats missed in the last hour",
    action: "The worker is flapping: look for restarts, memory pressure or Firestore errors in its logs.",
  },
  low_coverage: {
    severity: "P3",
    title: "Heartbeat coverage under target (last 24 h)",
    action: "Run npm run verify:dataquality to see the gaps; today's rollup will be marked insufficientData.",
  },
  probe_fail: {
    severity: "P3",
    title: "Probe failing",
    action:
      "Open the probe documents in wa_metrics/longrun/probes for the reason; check the probe account is connected.",
  },
  queue_depth: {
    severity: "P3",
    title: "Outbox queue too deep",
    action: "Messages are arriving faster than they go out: check accounts are connected, consider another worker.",
  },
  outbox_lag: {
    severity: "P2",
    title: "Oldest queued message too old",
    action: "Check the worker is up and the message's account is connected (outbox entries with status queued).",
  },
  failed_sends: {
    severity: "P2",
    title: "Sends failing",
    action: "Check account connectivity and the lastError of the failed outbox entries.",
  },
  no_active_account: {
    severity: "P1",
    title: "No WhatsApp account connected",
    action:
      "Nothing can be sent. Check the worker is running and the accounts' status; re-link with a new QR if needed.",
  },
  logged_out: {
    severity: "P1",
    title: "WhatsApp account logged out",
    action:
      "Re-link the account: whatsappProxyRegenerateQr, then scan the QR from the phone. Check the phone's linked devices.",
  },
  reconnect_loop: {
    severity: "P2",
    title: "Account reconnecting in a loop",
    action: "Look at the account's lastDisconnect code; if it keeps failing, remove and re-add it.",
  },
  inbound_backlog: {
    severity: "P2",
    title: "Inbound messages not stored",
    action:
      "A worker has failed to store this account's inbound messages for over a minute (it keeps them in memory and retries): read its inbound_store_stuck errors.",
  },
  rollup_failed: {
    severity: "P3",
    title: "Daily rollup failed",
    action: "Read the error in wa_metrics/longrun/runs; rerun with whatsappAdminRunRollup once fixed.",
  },
  config_invalid: {
    severity: "P3",
    title: "Monitoring config rejected",
    action: "Fix wa_metrics/longrun/config/current; until then the last good values are used.",
  },
} as const satisfies Record<string, { severity: Severity; title: string; action: string }>;

export type IncidentType = keyof typeof INCIDENT_TYPES;
export const GLOBAL_KEY = "global";

/** While heartbeats are missing these follow from it: they stay incidents but are not announced. */
export const MUTED_BY_MISSED_HEARTBEAT: ReadonlySet<IncidentType> = new Set([
  "heartbeat_gaps",
  "low_coverage",
  "no_active_account",
  "outbox_lag",
  "queue_depth",
  "probe_fail",
]);

const compact = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").slice(0, 15);

/** `missed_heartbeat_global_20251230T080000`: one id per (type, key, onset). */
export function incidentId(type: IncidentType, key: string, tsStartMs: number): string {
  return `${type}_${encodeIdSegment(key)}_${compact(tsStartMs)}`;
}

/** One condition as a job saw it. Only the (type, key) pairs evaluated in a run are touched. */
export interface Evaluation {
  type: IncidentType;
  key: string;
  active: boolean;
  /** Onset when active (defaults to now); when it cleared otherwise (defaults to now). */
  atMs?: number;
  reason: string;
  planned?: boolean;
}

export interface OpenIncident {
  id: string;
  type: IncidentType;
  key: string;
  tsStartMs: number;
  lastNotifiedMs: number | null;
  /** Claimed for an alert (`lastNotifiedMs`) that no run has yet confirmed Telegram accepted. */
  notifyPending?: boolean;
}

/**
 * A claimed alert not confirmed within this long was lost with its run (a function killed at
 * its timeout, an instance gone): it is due again. Longer than any job's own time limit.
 */
export const CLAIM_STALE_MS = 120_000;

export type IncidentAction =
  | { kind: "open"; id: string; evaluation: Evaluation; tsStartMs: number; notify: boolean }
  | { kind: "remind"; id: string; incident: OpenIncident; reason: string }
  | { kind: "resolve"; id: string; incident: OpenIncident; tsEndMs: number; mttrSec: number; notify: boolean };

/**
 * Decides what each evaluation does to the open incidents: open (at most one per type and
 * key), remind at most once per `repeatMs`, resolve with its duration. Pure, so a scheduler that
 * fires twice computes the same thing twice, and the caller commits it once.
 */
export function reconcileIncidents(args: {
  open: OpenIncident[];
  evaluations: Evaluation[];
  nowMs: number;
  repeatMs: number;
}): IncidentAction[] {
  const { open, evaluations, nowMs, repeatMs } = args;
  const byKey = new Map(open.map((i) => [`${i.type}\u0000${i.key}`, i]));
  const heartbeatsMissing = evaluations.some((e) => e.type === "missed_heartbeat" && e.active)
    ? true
    : evaluations.some((e) => e.type === "missed_heartbeat")
      ? false
      : open.some((i) => i.type === "missed_heartbeat");
  const muted = (type: IncidentType) => heartbeatsMissing && MUTED_BY_MISSED_HEARTBEAT.has(type);

  const actions: IncidentAction[] = [];
  const seen = new Set<string>();
  for (const e of evaluations) {
    const k = `${e.type}\u0000${e.key}`;
    if (seen.has(k)) throw new Error(`evaluated twice: ${e.type}/${e.key}`);
    seen.add(k);
    const current = byKey.get(k);
    if (e.active && !current) {
      const tsStartMs = Math.min(e.atMs ?? nowMs, nowMs);
      actions.push({
        kind: "open",
        id: incidentId(e.type, e.key, tsStartMs),
        evaluation: e,
        tsStartMs,
        notify: !muted(e.type),
      });
    } else if (e.active && current) {
      const sinceNotified = current.lastNotifiedMs === null ? Infinity : nowMs - current.lastNotifiedMs;
      const due = sinceNotified >= repeatMs || (current.notifyPending === true && sinceNotified >= CLAIM_STALE_MS);
      if (due && !muted(e.type)) actions.push({ kind: "remind", id: current.id, incident: current, reason: e.reason });
    } else if (!e.active && current) {
      const tsEndMs = Math.max(current.tsStartMs, Math.min(e.atMs ?? nowMs, nowMs));
      actions.push({
        kind: "resolve",
        id: current.id,
        incident: current,
        tsEndMs,
        mttrSec: Math.round((tsEndMs - current.tsStartMs) / 1000),
        // Nobody heard of it (muted the whole time): nothing to call off.
        notify: current.lastNotifiedMs !== null,
      });
    }
  }
  return actions;
}
