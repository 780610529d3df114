import { checkDataQuality, exitCodeFor } from "@wa-gateway/core/longrun";
import { loadConfig, loadHeartbeats, loadIncidents, opsContext, printChecks, runCommand } from "./opsContext";

/** `npm run verify:dataquality`: schemas, coverage, max gap and clock drift over the period. */
runCommand(async () => {
  const ctx = await opsContext();
  const [config, heartbeats, incidents] = await Promise.all([
    loadConfig(ctx.db),
    loadHeartbeats(ctx.db, ctx.fromMs, ctx.toMs),
    loadIncidents(ctx.db, ctx.fromMs, ctx.toMs),
  ]);
  const checks = checkDataQuality({
    heartbeatDocs: heartbeats.docs,
    incidentDocs: incidents.docs,
    beats: heartbeats.beats,
    config,
    fromMs: ctx.fromMs,
    toMs: ctx.toMs,
    nowMs: ctx.nowMs,
  });
  printChecks("verify:dataquality", ctx.target, ctx.fromMs, ctx.toMs, checks);
  return exitCodeFor(checks);
});
