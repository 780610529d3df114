import { checkProbes, exitCodeFor } from "@wa-gateway/core/longrun";
import { loadFirstHeartbeatMs, loadProbes, type OpsCommand, opsContext, printChecks, runCommand } from "./opsContext";

/** `npm run verify:probes`: every slot probed, none stuck, pass rates at the runbook's targets. */
export const verifyProbes: OpsCommand = async ({ argv, print }) => {
  const ctx = await opsContext(argv);
  const [probes, firstHeartbeatMs] = await Promise.all([
    loadProbes(ctx.db, ctx.fromMs, ctx.toMs),
    loadFirstHeartbeatMs(ctx.db),
  ]);
  const checks = checkProbes({ probes, fromMs: ctx.fromMs, toMs: ctx.toMs, nowMs: ctx.nowMs, firstHeartbeatMs });
  printChecks(print, "verify:probes", ctx.target, ctx.fromMs, ctx.toMs, checks);
  return exitCodeFor(checks);
};

runCommand(verifyProbes, module);
