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
    secrets: [],
  };
  for (const entry of entries) {
    const at = entry.timestamp ? Date.parse(entry.timestamp) : Number.NaN;
    if (!Number.isNaN(at) && (at < fromMs || at >= toMs)) continue;
    findings.entries++;
    const payload = entry.jsonPayload ?? {};
    const status = entry.httpRequest?.status;
    const outcome = typeof payload.outcome === "string" ? payload.outcome : undefined;
    if (ERROR_SEVERITIES.has(entry.severity ?? "") || (status ?? 0) >= 500 || outcome === "internal") {
      findings.internalErrors++;
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
