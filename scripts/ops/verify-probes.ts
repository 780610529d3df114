import { checkProbes, exitCodeFor } from "@wa-gateway/core";
import { loadProbes, opsContext, printChecks, runCommand } from "./opsContext";

/** `npm run verify:probes`: every slot probed, none stuck, pass rates at the runbook's targets. */
runCommand(async () => {
  const ctx = opsContext();
  const probes = await loadProbes(ctx.db, ctx.fromMs, ctx.toMs);
  const checks = checkProbes({ probes, fromMs: ctx.fromMs, toMs: ctx.toMs, nowMs: ctx.nowMs });
  printChecks("verify:probes", ctx.target, ctx.fromMs, ctx.toMs, checks);
  return exitCodeFor(checks);
});
