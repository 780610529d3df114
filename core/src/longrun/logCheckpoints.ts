import { findSecrets, type SecretKind } from "../redact";

/**
 * What GO/NO-GO counts in a Cloud Logging export (`gcloud logging read … --format=json`: a JSON
 * array, or one LogEntry per line). Entries outside the period are skipped.
 */

export interface LogFindings {
  entries: number;
  internalErrors: number;
  authFailures: number;
  rateLimited: number;
  retries: number;
  /**
   * The longest run of server errors with no success between them and no pause over
   * ERROR_RUN_BREAK_SEC, first to last, in seconds (the rollback trigger "> 5 minutes of
   * continuous 500 errors").
   */
  longestErrorRunSec: number;
  secrets: { kind: SecretKind; sample: string; where: string }[];
}

interface LogEntry {
  timestamp?: string;
  insertId?: string;
  severity?: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  httpRequest?: { status?: number };
}

/** Errors further apart than this are two runs, not one continuous outage. */
export const ERROR_RUN_BREAK_SEC = 60;

const ERROR_SEVERITIES = new Set(["ERROR", "CRITICAL", "ALERT", "EMERGENCY"]);

export class LogExportError extends Error {}

/** Parses an export: a JSON array of entries, or JSON lines. Names the line that is not JSON. */
export function parseLogExport(text: string): LogEntry[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as LogEntry[];
    } catch (err) {
      throw new LogExportError(`not a JSON array of log entries: ${(err as Error).message}`);
    }
  }
  return trimmed.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      return [JSON.parse(line) as LogEntry];
    } catch {
      throw new LogExportError(`line ${i + 1} is not a JSON log entry`);
    }
  });
}

export function logFindings(entries: LogEntry[], fromMs: number, toMs: number): LogFindings {
  const findings: LogFindings = {
    entries: 0,
    internalErrors: 0,
    authFailures: 0,
    rateLimited: 0,
    retries: 0,
    longestErrorRunSec: 0,
    secrets: [],
  };
  let run = null as { startMs: number; lastMs: number } | null;
  const timeOf = (e: LogEntry) => Date.parse(e.timestamp ?? "") || 0;
  const timed = [...entries].sort((a, b) => timeOf(a) - timeOf(b));
  for (const entry of timed) {
    const at = entry.timestamp ? Date.parse(entry.timestamp) : Number.NaN;
    if (!Number.isNaN(at) && (at < fromMs || at >= toMs)) continue;
    findings.entries++;
    const payload = entry.jsonPayload ?? {};
    const status = entry.httpRequest?.status;
    const outcome = typeof payload.outcome === "string" ? payload.outcome : undefined;
    const serverError = ERROR_SEVERITIES.has(entry.severity ?? "") || (status ?? 0) >= 500 || outcome === "internal";
    if (serverError) findings.internalErrors++;
    if (!Number.isNaN(at)) {
      const success = outcome === "ok" || (status !== undefined && status < 400);
      if (serverError) {
        run =
          run && at - run.lastMs <= ERROR_RUN_BREAK_SEC * 1000
            ? { startMs: run.startMs, lastMs: at }
            : { startMs: at, lastMs: at };
        findings.longestErrorRunSec = Math.max(
          findings.longestErrorRunSec,
          Math.round((run.lastMs - run.startMs) / 1000),
        );
      } else if (success) {
        run = null;
      }
    }
    if (status === 401 || status === 403 || outcome === "unauthenticated" || outcome === "permission-denied") {
      findings.authFailures++;
    }
    if (status === 429 || outcome === "resource-exhausted") findings.rateLimited++;
    // The worker logs outbox_send_failed with result "retrying" when a retry follows ("failed": final).
    if (payload.message === "outbox_send_failed" && payload.result === "retrying") findings.retries++;
    const where = `${entry.timestamp ?? "?"}${entry.insertId ? ` ${entry.insertId}` : ""}`;
    for (const secret of findSecrets(JSON.stringify(entry))) findings.secrets.push({ ...secret, where });
  }
  return findings;
}
