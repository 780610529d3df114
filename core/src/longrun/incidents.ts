import { encodeIdSegment } from "../ids";
import type { IncidentDocument } from "../documents/longrun";
import { INCIDENT_TYPES, type IncidentType, type Severity } from "./incidentTypes";

/** The incident state machine: open → (reminded …) → resolved. */

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
  /** Above the catalogue's severity when the condition is worse (it escalates an open incident). */
  severity?: Severity;
}

export interface OpenIncident {
  id: string;
  type: IncidentType;
  key: string;
  tsStartMs: number;
  lastNotifiedMs: number | null;
  /** Claimed for an alert (`lastNotifiedMs`) that no run has yet confirmed Telegram accepted. */
  notifyPending?: boolean;
  /** Its current severity (the catalogue's unless it escalated). */
  severity?: Severity;
  /** Acknowledged at this severity: no reminders until it resolves or escalates above it. */
  acknowledgedSeverity?: Severity | null;
}

const severityOf = (e: Evaluation): Severity => e.severity ?? INCIDENT_TYPES[e.type].severity;

/** P1 is the most severe: true when `a` is more severe than `b`. */
export const moreSevere = (a: Severity, b: Severity) => a < b;

/** A stored incident in milliseconds: what the jobs decide on and the operator commands print. */
export function incidentFromDocument(id: string, doc: IncidentDocument) {
  return {
    id,
    type: doc.type,
    key: doc.key,
    severity: doc.severity,
    status: doc.status,
    reason: doc.reason,
    tsStartMs: doc.tsStart.toMillis(),
    tsDetectedMs: doc.tsDetected.toMillis(),
    tsEndMs: doc.tsEnd?.toMillis() ?? null,
    mttrSec: doc.mttrSec,
    lastNotifiedMs: doc.lastNotifiedAt?.toMillis() ?? null,
    notifyPending: doc.notifyPending,
    acknowledgedSeverity: doc.acknowledgement?.severity ?? null,
    owner: doc.acknowledgement?.owner ?? null,
  };
}
export type IncidentView = ReturnType<typeof incidentFromDocument>;

/**
 * A claimed alert not confirmed within this long was lost with its run (a function killed at
 * its timeout, an instance gone): it is due again. Longer than any job's own time limit.
 */
export const CLAIM_STALE_MS = 120_000;

export type IncidentAction =
  | { kind: "open"; id: string; evaluation: Evaluation; tsStartMs: number; notify: boolean; severity: Severity }
  | { kind: "remind"; id: string; incident: OpenIncident; reason: string; severity: Severity }
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
        severity: severityOf(e),
      });
    } else if (e.active && current) {
      const severity = severityOf(e);
      const sinceNotified = current.lastNotifiedMs === null ? Infinity : nowMs - current.lastNotifiedMs;
      const due = sinceNotified >= repeatMs || (current.notifyPending === true && sinceNotified >= CLAIM_STALE_MS);
      // Escalation is news, announced at once; an acknowledged incident is otherwise someone's, and quiet.
      const escalated = moreSevere(severity, current.severity ?? INCIDENT_TYPES[e.type].severity);
      const acknowledged = current.acknowledgedSeverity != null && !moreSevere(severity, current.acknowledgedSeverity);
      if ((escalated || (due && !acknowledged)) && !muted(e.type)) {
        actions.push({ kind: "remind", id: current.id, incident: current, reason: e.reason, severity });
      }
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
