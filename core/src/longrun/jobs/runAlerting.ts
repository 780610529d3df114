import { alertLines, alertMessages, noticeId, type AlertLine } from "../alertMessage";
import { reconcileIncidents, type Evaluation, type IncidentAction, type OpenIncident } from "../incidents";
import type { AlertChannel, IncidentStore, JobLog } from "../ports";

/**
 * Alerting, shared by every job: incidents applied, then what they announce sent in one message
 * for the run (split past Telegram's 4096 characters), accounted message by message.
 */
export interface AlertDeps {
  incidents: IncidentStore;
  alerts: AlertChannel;
  log: JobLog;
  project: string;
}

/** Sends what a committed set of incident actions announces, with notices an earlier run could not deliver. */
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
    await deps.incidents.confirmDelivered({
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
  await deps.incidents.unclaimNotifications(incidentIds(unsent));
  await deps.incidents.deferNotices(unsent.filter((l) => l.kind === "resolve"));
  return "failed";
}

function lineOf(a: IncidentAction & { kind: "open" | "remind" }): Pick<AlertLine, "kind" | "type" | "key" | "sinceMs"> {
  return a.kind === "open"
    ? { kind: "open", type: a.evaluation.type, key: a.evaluation.key, sinceMs: a.tsStartMs }
    : { kind: "remind", type: a.incident.type, key: a.incident.key, sinceMs: a.incident.tsStartMs };
}

/** What a run's evaluations do to the open incidents (core/longrun/incidents.ts), for the store's transaction. */
export const incidentsAfter =
  (evaluations: Evaluation[], nowMs: number, repeatMs: number) =>
  (open: OpenIncident[]): IncidentAction[] =>
    reconcileIncidents({ open, evaluations, nowMs, repeatMs });

/** Apply evaluations outside the watchdog (probe results, rollup failures) and announce them. */
export async function reportEvaluations(deps: AlertDeps, evaluations: Evaluation[], nowMs: number, repeatMs: number) {
  const applied = await deps.incidents.applyIncidents({ nowMs, decide: incidentsAfter(evaluations, nowMs, repeatMs) });
  if (applied.status === "applied") await announce(deps, applied.actions, nowMs);
}
