import { checkRestartSafety, exitCodeFor } from "@wa-gateway/core/longrun";
import {
  loadConfig,
  loadDuplicateBeats,
  loadHeartbeats,
  loadIncidents,
  type OpsCommand,
  opsContext,
  printChecks,
  runCommand,
} from "./opsContext";

/** `npm run verify:restart-safe`: no duplicate buckets, no overlapping lock holders, gaps agree with incidents. */
export const verifyRestartSafe: OpsCommand = async ({ argv, print }) => {
  const ctx = await opsContext(argv);
  const [config, { beats }, { incidents }, duplicateAttempts] = await Promise.all([
    loadConfig(ctx.db),
    loadHeartbeats(ctx.db, ctx.fromMs, ctx.toMs),
    loadIncidents(ctx.db, ctx.fromMs, ctx.toMs),
    loadDuplicateBeats(ctx.db),
  ]);
  const checks = checkRestartSafety({
    beats,
    incidents,
    duplicateAttempts,
    config,
    watchdogPeriodSec: 60,
    fromMs: ctx.fromMs,
    toMs: ctx.toMs,
    nowMs: ctx.nowMs,
  });
  printChecks(print, "verify:restart-safe", ctx.target, ctx.fromMs, ctx.toMs, checks);
  return exitCodeFor(checks);
};

runCommand(verifyRestartSafe, module);
