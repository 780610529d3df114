import { PROBE_TYPES, type ProbeType } from "@wa-gateway/core";
import { manualProbeKey, startProbes, type JobLog } from "@wa-gateway/core/longrun";
import { firestoreIncidentStore } from "../../functions/src/stores/incidentStore";
import { firestoreConfigSource } from "../../functions/src/stores/monitoringConfigStore";
import { firestoreProbeStore } from "../../functions/src/stores/probeStore";
import { firestoreWatchdogReads } from "../../functions/src/stores/watchdogReadsStore";
import { answerHelp, type OpsCommand, opsContext, runCommand, UsageError } from "./opsContext";

/**
 * `npm run probe -- OUT|IN|QUEUE [--project P]`: starts a probe now, what the admin callable
 * whatsappAdminRunProbe does (the same core handler, the same stores), for an operator with
 * Application Default Credentials instead of an admin ID token. The watchdog finishes it.
 */

const USAGE = `probe: npm run probe -- <OUT|IN|QUEUE> [options]
  OUT    sends a probe message from the probe account and waits for it to be sent
  IN     sends one to the probe account and waits for it to arrive
  QUEUE  checks the outbox queue
`;

/** The job's log, as JSON lines in the command's output. */
const jobLog = (print: (line: string) => void): JobLog => ({
  info: (event, fields) => print(JSON.stringify({ severity: "INFO", event, ...fields })),
  warn: (event, fields) => print(JSON.stringify({ severity: "WARNING", event, ...fields })),
  error: (event, fields) => print(JSON.stringify({ severity: "ERROR", event, ...fields })),
});

export const probe: OpsCommand = async ({ argv, print }) => {
  answerHelp(argv, USAGE);
  const isType = (arg: string) => (PROBE_TYPES as readonly string[]).includes(arg);
  const types = argv.filter(isType);
  if (types.length !== 1) throw new UsageError(`name one probe type: OUT, IN or QUEUE\n${USAGE}`);
  const type = types[0]!;
  // Anything else that is not an option is refused by opsContext's strict parsing.
  const ctx = await opsContext(
    argv.filter((arg) => !isType(arg)),
    { names: [], usage: USAGE },
  );
  const writer = "operator:npm-run-probe";
  const now = new Date(ctx.nowMs);
  const probeKey = manualProbeKey(type as ProbeType, now);
  const started = await startProbes(
    {
      config: firestoreConfigSource(ctx.db, writer),
      reads: firestoreWatchdogReads(ctx.db),
      incidents: firestoreIncidentStore(ctx.db, writer),
      probes: firestoreProbeStore(ctx.db, writer),
      // Starting a probe announces nothing; its result is judged by the watchdog, which alerts.
      alerts: { enabled: false, send: async () => ({ delivered: 0, error: "the probe command does not alert" }) },
      log: jobLog(print),
      project: ctx.projectId,
    },
    [{ type: type as ProbeType, key: probeKey }],
    ctx.nowMs,
  );
  const result = started[probeKey] ?? "PENDING";
  const where = `wa_metrics/longrun/probes/${probeKey}, or npm run verify:probes`;
  const next = {
    PENDING: `started: judged at once when it can be (QUEUE), else by the watchdog every minute; the result is in ${where}`,
    SKIPPED: `not run, not configured: the reason is in ${where}`,
    exists: `one was already started this minute: ${where}`,
  }[result];
  print(`probe ${probeKey}: ${result}\n  ${ctx.target}\n  ${next}`);
  return 0;
};

runCommand(probe, module);
