import { readFileSync } from "node:fs";
import { Timestamp } from "firebase-admin/firestore";
import {
  analyseHeartbeats,
  deployCheckpoints,
  LogExportError,
  logFindings,
  parseLogExport,
  VERDICT_EXIT_CODES,
  verdictOf,
  type DeployFacts,
} from "@wa-gateway/core/longrun";
import { inboundDedupe, outbox, securityEvents } from "@wa-gateway/data";
import { firestoreWatchdogReads } from "../../functions/src/stores/watchdogReadsStore";
import { checkMediaSigning } from "./mediaSigning";
import {
  loadConfig,
  loadHeartbeats,
  loadIncidents,
  loadProbes,
  type OpsCommand,
  opsContext,
  type OpsContext,
  parseWhen,
  runCommand,
  UsageError,
} from "./opsContext";

/**
 * `npm run go-no-go -- --since <deploy time> [--logs export.json] [--region R]`: the post-deploy
 * checkpoints from Firestore (and the log export when given), a verdict, and on NO-GO the
 * rollback commands. Exit 0 GO, 10 MONITOR, 20 NO-GO; 1 when it could not evaluate, 64 bad options.
 */

const USAGE = `go-no-go options:
  --since <ISO time>  when the deploy finished (required)
  --to <ISO time>     end of the window (default: now)
  --logs <file>       a Cloud Logging export (gcloud logging read ... --format=json), for the log checkpoints
  --region <region>   the deploy's region, filled into the rollback commands
  --functions-sa <email>  the functions' runtime service account: checks it can sign media URLs
                      (2nd gen default: <project-number>-compute@developer.gserviceaccount.com)
`;

async function outboxSince(ctx: OpsContext, fromMs: number, toMs: number): Promise<DeployFacts["outbox"]> {
  const created = outbox
    .all(ctx.db)
    .where("createdAt", ">=", Timestamp.fromMillis(fromMs))
    .where("createdAt", "<", Timestamp.fromMillis(toMs));
  const snap = await outbox.kind.select(created, "status", "attempts").get();
  const counts = { total: 0, sent: 0, failed: 0, queued: 0, processing: 0, retried: 0 };
  for (const doc of snap.docs) {
    const entry = doc.data();
    counts.total++;
    counts[entry.status]++;
    if (entry.attempts > 1) counts.retried++;
  }
  return counts;
}

function rollback(project: string, region: string): string {
  return `Rollback (what the runbook says: roll back early, fix later):
  1. Functions, rules and indexes: check out the last good commit and deploy it again
       git checkout <last-good-commit>
       npx firebase deploy --project ${project} --only functions,firestore:rules,firestore:indexes,storage
  2. The worker: put the last good image back (outbox leases make the switch safe: an entry a
     stopping worker held is taken over when its lease runs out and re-sent under the same id)
       gcloud run revisions list --service wa-worker --project ${project} --region ${region}
       npm run --silent deploy:worker-service -- --project ${project} --region ${region} --image <last-good-image> > wa-worker.yaml
       gcloud run services replace wa-worker.yaml --project ${project} --region ${region}
  3. Tell the team, then write down what failed and why.`;
}

export const goNoGo: OpsCommand = async ({ argv, print }) => {
  const ctx = await opsContext(argv, { names: ["since", "logs", "region", "functions-sa"] as const, usage: USAGE });
  if (!ctx.options.since) throw new UsageError(`--since is required\n${USAGE}`);
  const fromMs = parseWhen(ctx.options.since, "--since");
  const toMs = ctx.toMs;
  if (fromMs >= toMs) throw new UsageError("--since must be before --to (and not in the future)");

  let logs: DeployFacts["logs"] = null;
  if (ctx.options.logs) {
    let text: string;
    try {
      text = readFileSync(ctx.options.logs, "utf8");
    } catch (err) {
      throw new UsageError(`--logs: cannot read ${ctx.options.logs}: ${(err as NodeJS.ErrnoException).code}`);
    }
    try {
      logs = logFindings(parseLogExport(text), fromMs, toMs);
    } catch (err) {
      if (err instanceof LogExportError) throw new UsageError(`--logs ${ctx.options.logs}: ${err.message}`);
      throw err;
    }
  }

  const functionsSa = ctx.options["functions-sa"];
  if (functionsSa !== undefined && !/^[a-z0-9-]+@[a-z0-9.-]+\.gserviceaccount\.com$/.test(functionsSa)) {
    throw new UsageError(`--functions-sa: ${JSON.stringify(functionsSa)} is not a service account's email`);
  }
  // The emulator has no IAM: signing is checked against a real project only.
  const mediaSigning = functionsSa && !ctx.projectId.startsWith("demo-") ? await checkMediaSigning(functionsSa) : null;

  const [config, outbox, outboxNow, incidents, heartbeats, probes, inboundStored, crossTenantRefusals] =
    await Promise.all([
      loadConfig(ctx.db),
      outboxSince(ctx, fromMs, toMs),
      firestoreWatchdogReads(ctx.db).outboxView(ctx.nowMs),
      loadIncidents(ctx.db, fromMs, toMs),
      loadHeartbeats(ctx.db, fromMs, toMs),
      loadProbes(ctx.db, fromMs, toMs),
      inboundDedupe.countBetween(ctx.db, fromMs, toMs),
      securityEvents.unreviewedBetween(ctx.db, fromMs, toMs),
    ]);
  const analysis = analyseHeartbeats({
    beats: heartbeats.beats,
    fromMs,
    toMs,
    nowMs: ctx.nowMs,
    observableFromMs: fromMs,
    intervalSec: config.heartbeatIntervalSec,
    driftSec: config.driftSec,
  });
  const checkpoints = deployCheckpoints({
    outbox,
    oldestQueuedAgeSec: outboxNow.queuedCount > 0 ? outboxNow.oldestQueuedAgeSec : null,
    openIncidents: incidents.incidents.filter((i) => i.status === "open"),
    heartbeats: analysis,
    probes,
    logs,
    inboundStored,
    crossTenantRefusals,
    mediaSigning,
  });
  const verdict = verdictOf(checkpoints);

  const minutes = Math.round((toMs - fromMs) / 60_000);
  print(`go-no-go\n  ${ctx.target}\n  since the deploy at ${new Date(fromMs).toISOString()} (T+${minutes} min)\n`);
  for (const c of checkpoints) print(`  ${c.level.padEnd(9)} ${c.name}: ${c.detail}   [${c.rule}]`);
  if (!logs) print("  (no --logs export given: the log checkpoints were not evaluated)");
  if (!mediaSigning) print("  (no --functions-sa on a real project: media URL signing was not checked)");
  if (minutes < 60) print(`\n  T+${minutes} min: the runbook decides at T+60; run again then.`);
  print(`\nVERDICT: ${verdict}`);
  if (verdict === "MONITOR") print("Keep watching: run this again every 15 minutes for the next 2 hours.");
  if (verdict === "NO-GO") {
    // Against the local emulator the project is a demo one: the rollback is for the operator's own.
    const project = ctx.projectId.startsWith("demo-") ? "<your-project>" : ctx.projectId;
    print(`\n${rollback(project, ctx.options.region ?? "<region>")}`);
  }
  return VERDICT_EXIT_CODES[verdict];
};

runCommand(goNoGo, module);
