import { checkDataQuality, exitCodeFor } from "@wa-gateway/core/longrun";
import {
  loadConfig,
  loadHeartbeats,
  loadIncidents,
  type OpsCommand,
  opsContext,
  printChecks,
  runCommand,
} from "./opsContext";

/** `npm run verify:dataquality`: schemas, coverage, max gap and clock drift over the period. */
export const verifyDataQuality: OpsCommand = async ({ argv, print }) => {
  const ctx = await opsContext(argv);
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
  printChecks(print, "verify:dataquality", ctx.target, ctx.fromMs, ctx.toMs, checks);
  return exitCodeFor(checks);
};

runCommand(verifyDataQuality, module);
