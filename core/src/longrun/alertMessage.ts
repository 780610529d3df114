import type { IncidentAction } from "./incidents";
import { INCIDENT_TYPES, type IncidentType, type Severity } from "./incidentTypes";

/** Telegram alert text (HTML parse mode). Everything from data is escaped. */

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `45s`, `3m 12s`, `2h 05m`, `1d 3h`. */
export function formatDuration(totalSec: number): string {
  const s = Math.max(0, Math.round(totalSec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** A line's identity across runs: the same notice is never sent twice once delivered. */
export const noticeId = (l: Pick<AlertLine, "kind" | "type" | "key" | "sinceMs">) =>
  `${l.kind}:${l.type}:${l.key}:${l.sinceMs}`;

export type AlertLine =
  | {
      kind: "open" | "remind";
      type: IncidentType;
      key: string;
      sinceMs: number;
      reason: string;
      /** Above the catalogue's when the condition escalated (e.g. an account down past accountDownP1Minutes). */
      severity?: Severity;
    }
  | { kind: "resolve"; type: IncidentType; key: string; sinceMs: number; endMs: number; downtimeSec: number };

const ICON = { P1: "🔴", P2: "🟠", P3: "🟡" } as const;
const MAX_MESSAGE = 4096;

function render(line: AlertLine, nowMs: number): string {
  const info = INCIDENT_TYPES[line.type];
  const key = line.key === "global" ? "" : ` · <code>${escapeHtml(line.key)}</code>`;
  const since = new Date(line.sinceMs).toISOString().replace(".000Z", "Z");
  if (line.kind === "resolve") {
    const end = new Date(line.endMs).toISOString().replace(".000Z", "Z");
    return [
      `✅ <b>RESOLVED</b> ${escapeHtml(info.title)}${key}`,
      `Downtime ${formatDuration(line.downtimeSec)} (${since} → ${end})`,
    ].join("\n");
  }
  const label = line.kind === "remind" ? "STILL OPEN" : "ALERT";
  const severity = line.severity ?? info.severity;
  return [
    `${ICON[severity]} <b>${severity} ${label}</b> ${escapeHtml(info.title)}${key}`,
    `Since ${since} (${formatDuration((nowMs - line.sinceMs) / 1000)} ago)`,
    escapeHtml(line.reason),
    `<i>Action:</i> ${escapeHtml(info.action)}`,
  ].join("\n");
}

/** All alerts of one run in as few messages as Telegram's 4096-character limit allows. */
export function formatAlertMessages(lines: AlertLine[], nowMs: number, project: string): string[] {
  return alertMessages(lines, nowMs, project).map((m) => m.text);
}

/** The messages of a run, each with the lines it carries (so delivery is accounted per line). */
export function alertMessages(
  lines: AlertLine[],
  nowMs: number,
  project: string,
): { text: string; lines: AlertLine[] }[] {
  if (lines.length === 0) return [];
  const order = { resolve: 1, open: 0, remind: 0 } as const;
  const sorted = [...lines].sort(
    (a, b) =>
      order[a.kind] - order[b.kind] ||
      INCIDENT_TYPES[a.type].severity.localeCompare(INCIDENT_TYPES[b.type].severity) ||
      a.sinceMs - b.sinceMs,
  );
  const header = `<b>WhatsApp gateway</b> · <code>${escapeHtml(project)}</code>`;
  const messages: { text: string; lines: AlertLine[] }[] = [];
  let current = { text: header, lines: [] as AlertLine[] };
  for (const line of sorted) {
    const block = render(line, nowMs).slice(0, MAX_MESSAGE - header.length - 2);
    if (current.text.length + 2 + block.length > MAX_MESSAGE) {
      messages.push(current);
      current = { text: header, lines: [] };
    }
    current.text += `\n\n${block}`;
    current.lines.push(line);
  }
  messages.push(current);
  return messages;
}

/** The lines a committed set of incident actions announces (muted ones say nothing). */
export function alertLines(actions: IncidentAction[]): AlertLine[] {
  const lines: AlertLine[] = [];
  for (const a of actions) {
    if (a.kind === "open" && a.notify) {
      lines.push({
        kind: "open",
        type: a.evaluation.type,
        key: a.evaluation.key,
        sinceMs: a.tsStartMs,
        reason: a.evaluation.reason,
        ...(a.severity !== INCIDENT_TYPES[a.evaluation.type].severity ? { severity: a.severity } : {}),
      });
    } else if (a.kind === "remind") {
      lines.push({
        kind: "remind",
        type: a.incident.type,
        key: a.incident.key,
        sinceMs: a.incident.tsStartMs,
        reason: a.reason,
        ...(a.severity !== INCIDENT_TYPES[a.incident.type].severity ? { severity: a.severity } : {}),
      });
    } else if (a.kind === "resolve" && a.notify) {
      lines.push({
        kind: "resolve",
        type: a.incident.type,
        key: a.incident.key,
        sinceMs: a.incident.tsStartMs,
        endMs: a.tsEndMs,
        downtimeSec: a.mttrSec,
      });
    }
  }
  return lines;
}
