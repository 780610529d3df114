import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FieldPath } from "firebase-admin/firestore";
import { rollupDate } from "@wa-gateway/core";
import {
  alertRules,
  analyseHeartbeats,
  checkDataQuality,
  checkProbes,
  checkRestartSafety,
  exitCodeFor,
  formatDuration,
  incidentStats,
  probeStats,
  type Check,
} from "@wa-gateway/core/longrun";
import { rollups as rollupDocs } from "@wa-gateway/data";
import { REPO_ROOT } from "../lib/project";
import {
  loadConfig,
  loadDuplicateBeats,
  loadFirstHeartbeatMs,
  loadHeartbeats,
  loadIncidents,
  loadProbes,
  type OpsCommand,
  opsContext,
  runCommand,
} from "./opsContext";

/**
 * `npm run report`: a Markdown report of a period (coverage, gaps, probes, incidents, rollups).
 * Exit 0 ok, 1 failure, 2 insufficient data.
 */

const iso = (ms: number | null) => (ms === null ? "—" : new Date(ms).toISOString().replace(".000Z", "Z"));
const pct = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? "—" : `${(v * 100).toFixed(digits)} %`;
const table = (head: string[], rows: (string | number)[][]) =>
  rows.length === 0
    ? "_none_\n"
    : [
        `| ${head.join(" | ")} |`,
        `|${head.map(() => "---").join("|")}|`,
        ...rows.map((r) => `| ${r.join(" | ")} |`),
      ].join("\n") + "\n";

export const report: OpsCommand = async ({ argv, print }) => {
  const ctx = await opsContext(argv);
  const { db, fromMs, toMs, nowMs } = ctx;
  const [config, heartbeats, incidents, probes, duplicateBeats, firstHeartbeatMs] = await Promise.all([
    loadConfig(db),
    loadHeartbeats(db, fromMs, toMs),
    loadIncidents(db, fromMs, toMs),
    loadProbes(db, fromMs, toMs),
    loadDuplicateBeats(db),
    loadFirstHeartbeatMs(db),
  ]);
  const rollups = await rollupDocs
    .all(db)
    .where(FieldPath.documentId(), ">=", rollupDate(new Date(fromMs)))
    .where(FieldPath.documentId(), "<=", rollupDate(new Date(toMs)))
    .get();

  const beats = heartbeats.beats;
  const hb = analyseHeartbeats({
    beats,
    fromMs,
    toMs,
    nowMs,
    observableFromMs: beats[0]?.serverMs ?? null,
    intervalSec: config.heartbeatIntervalSec,
    driftSec: config.driftSec,
  });
  const stats = incidentStats(incidents.incidents, fromMs, toMs);
  const probeRates = probeStats(probes);

  const quality = checkDataQuality({
    heartbeatDocs: heartbeats.docs,
    incidentDocs: incidents.docs,
    beats,
    config,
    fromMs,
    toMs,
    nowMs,
  });
  const safety =
    beats.length >= 2
      ? checkRestartSafety({
          beats,
          incidents: incidents.incidents,
          duplicateAttempts: duplicateBeats,
          config,
          watchdogPeriodSec: 60,
          fromMs,
          toMs,
          nowMs,
        })
      : [];
  // Probes that are not configured say so; they do not make the whole report inconclusive.
  const probeChecks = checkProbes({ probes, fromMs, toMs, nowMs, firstHeartbeatMs }).filter(
    (c) => c.status !== "INSUFFICIENT",
  );
  const openSerious = incidents.incidents.filter(
    (i) => i.status === "open" && (i.severity === "P1" || i.severity === "P2"),
  );
  const incidentCheck: Check = {
    name: "open P1/P2 incidents",
    status: openSerious.length ? "FAIL" : "PASS",
    detail: openSerious.length
      ? openSerious.map((i) => `${i.type}/${i.key} since ${iso(i.tsStartMs)}`).join(", ")
      : "none",
  };
  const checks = [...quality, ...safety, ...probeChecks, incidentCheck];
  const code = exitCodeFor(checks);
  const verdict = ["OK", "FAILURE", "INSUFFICIENT DATA"][code];

  const md = `# Long-run monitoring report

- Source: ${ctx.target}
- Period: ${iso(fromMs)} → ${iso(toMs)}
- Generated: ${iso(nowMs)}
- **Verdict: ${verdict}** (exit ${code})

## Heartbeats

| | |
|---|---|
| interval | ${config.heartbeatIntervalSec} s |
| observed / expected | ${hb.observedBuckets} / ${hb.expectedBeats} |
| coverage | ${pct(hb.coverage)} (minimum ${pct(config.alertThresholds.coverageMin, 0)}) |
| uptime | ${hb.uptimePct === null ? "—" : `${hb.uptimePct} %`} |
| downtime planned / unplanned | ${formatDuration(hb.plannedDowntimeSec)} / ${formatDuration(hb.unplannedDowntimeSec)} |
| gaps | ${hb.gapCount} |
| max gap | ${hb.maxGap ? `${formatDuration(hb.maxGap.durationSec)} (${iso(hb.maxGap.startMs)} → ${iso(hb.maxGap.endMs)})` : "—"} |
| duplicate beats | ${hb.duplicateBeats} |
| beats off their bucket by more than ${config.driftSec} s | ${hb.driftedBeats} (max ${hb.maxDriftSec} s) |

### Gaps

${table(
  ["from", "to", "length", "missed beats", "planned"],
  hb.gaps
    .slice(0, 50)
    .map((g) => [
      iso(g.startMs),
      g.endMs === null ? "still open" : iso(g.endMs),
      formatDuration(g.durationSec),
      g.missedBeats,
      g.planned ? "yes" : "no",
    ]),
)}
## Probes

${table(
  [
    "type",
    "PASS",
    "FAIL",
    "SKIPPED",
    `pass rate (alert < ${pct(config.alertThresholds.probePassRateMin, 0)})`,
    "mean latency",
  ],
  Object.entries(probeRates).map(([type, r]) => [
    type,
    r.pass,
    r.fail,
    r.skipped,
    pct(r.passRate),
    r.meanLatencyMs === null ? "—" : `${r.meanLatencyMs} ms`,
  ]),
)}
${table(
  ["probe", "result", "reason"],
  probes.filter((p) => p.result !== "PASS").map((p) => [p.key, p.result, (p.reason ?? "").replace(/\|/g, "\\|")]),
)}
## Incidents

Opened ${stats.opened} (target ≤ 5 a day, alert above ${config.alertThresholds.incidentsPerDayMax}), resolved ${stats.resolved}. MTTR mean ${stats.mttr.meanSec ?? "—"} s, median ${stats.mttr.medianSec ?? "—"} s, p90 ${stats.mttr.p90Sec ?? "—"} s. Time to detect mean ${stats.timeToDetect.meanSec ?? "—"} s.

${table(
  ["incident", "severity", "status", "start", "end", "MTTR", "reason"],
  incidents.incidents.map((i) => [
    `${i.type}/${i.key}`,
    i.severity,
    i.status,
    iso(i.tsStartMs),
    iso(i.tsEndMs),
    i.mttrSec === null ? "—" : formatDuration(i.mttrSec),
    i.reason.replace(/\|/g, "\\|"),
  ]),
)}
## Daily rollups

${table(
  ["date", "coverage", "uptime", "max gap", "incidents", "MTTR mean", "insufficient data"],
  rollups.docs.map((d) => {
    const r = d.data();
    return [
      d.id,
      pct(r.heartbeat.coverage),
      r.uptimePct === null ? "—" : `${r.uptimePct} %`,
      r.maxGap ? formatDuration(r.maxGap.durationSec) : "—",
      r.incidents.opened,
      r.incidents.mttr.meanSec ?? "—",
      r.insufficientData ? "yes" : "no",
    ];
  }),
)}
## Alert rules and targets

The runbooks' monitoring tables, with this deployment's live thresholds (\`config/current\`); each opens the incident named.

${table(
  ["rule", "alert when", "checked", "incident"],
  alertRules(config).map((r) => [r.rule, r.alert, r.checked, r.incident]),
)}
## Checks

${table(
  ["status", "check", "detail"],
  checks.map((c) => [c.status, c.name, c.detail.replace(/\|/g, "\\|")]),
)}`;

  const out =
    ctx.out ??
    join(REPO_ROOT, "reports", `longrun-${iso(fromMs).replace(/[:]/g, "")}-${iso(toMs).replace(/[:]/g, "")}.md`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, md);
  print(`report: ${verdict} (exit ${code}), written to ${out}`);
  for (const c of checks.filter((c) => c.status !== "PASS")) print(`  ${c.status} ${c.name}: ${c.detail}`);
  return code;
};

runCommand(report, module);
