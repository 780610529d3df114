import { DEFAULT_MONITORING_CONFIG, monitoringConfig, type MonitoringConfig } from "../documents/longrun";

export type ConfigResolution =
  | { kind: "ok"; config: MonitoringConfig }
  | { kind: "missing"; config: MonitoringConfig }
  | { kind: "invalid"; config: MonitoringConfig; problems: string };

/**
 * `config/current` as a job should use it: valid → as written; missing → the runbook's defaults
 * (the caller creates the document); invalid → the last good values, with what is wrong, so a
 * bad edit in the console never stops monitoring.
 */
export function resolveMonitoringConfig(raw: unknown, lastGood: unknown): ConfigResolution {
  if (raw === undefined) return { kind: "missing", config: DEFAULT_MONITORING_CONFIG };
  const parsed = monitoringConfig.safeParse(raw);
  if (parsed.success) return { kind: "ok", config: parsed.data };
  const fallback = monitoringConfig.safeParse(lastGood);
  return {
    kind: "invalid",
    config: fallback.success ? fallback.data : DEFAULT_MONITORING_CONFIG,
    problems: parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join(".") : "(document)"}: ${i.message}`)
      .join("; "),
  };
}
