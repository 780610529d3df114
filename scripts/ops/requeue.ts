import { userInfo } from "node:os";
import { parseSince, requeueFailed, requeueRequest } from "@wa-gateway/core/outbox";
import { firestoreRequeueStore } from "../../functions/src/stores/requeueStore";
import { type OpsCommand, opsContext, runCommand, UsageError } from "./opsContext";

const USAGE = `usage: npm run requeue -- --since <1h|30m|2d> [--account <id>] [--dry-run] [--include-permanent]
  Puts failed outbox entries back to queued under their same providerMessageId and prints each
  one. Entries refused for a permanent reason (failureKind permanent or account_gone) are listed
  but left failed unless --include-permanent.
`;

/** The flags of this command, taken out before the shared options are parsed. */
function flags(argv: string[]) {
  const rest = argv.filter((a) => a !== "--dry-run" && a !== "--include-permanent");
  return { dryRun: argv.includes("--dry-run"), includePermanent: argv.includes("--include-permanent"), rest };
}

export const requeue: OpsCommand = async ({ argv, print }) => {
  const { dryRun, includePermanent, rest } = flags(argv);
  const ctx = await opsContext(rest, { names: ["since", "account"] as const, usage: USAGE });
  const sinceMinutes = ctx.options.since ? parseSince(ctx.options.since) : undefined;
  if (sinceMinutes === undefined) throw new UsageError(`--since is required, like 1h, 30m or 2d\n${USAGE}`);
  const req = requeueRequest.parse({
    sinceMinutes,
    dryRun,
    includePermanent,
    ...(ctx.options.account ? { accountId: ctx.options.account } : {}),
  });
  const by = `operator:${userInfo().username}`;
  const { entries } = await requeueFailed(firestoreRequeueStore(ctx.db), req, by, ctx.nowMs);
  print(`requeue ${dryRun ? "(dry run) " : ""}failed since ${ctx.options.since} on ${ctx.target}`);
  for (const e of entries) {
    print(
      `  ${e.outcome.padEnd(18)} ${e.requestId} account ${e.accountId} providerMessageId ${e.providerMessageId}` +
        ` (${e.failureKind ?? "unknown"}: ${e.lastError ?? "no error recorded"})`,
    );
  }
  const count = (o: string) => entries.filter((e) => e.outcome === o).length;
  print(
    `${entries.length} failed: ${count(dryRun ? "would_requeue" : "requeued")} ${dryRun ? "would be requeued" : "requeued"}, ` +
      `${count("skipped_permanent")} permanent left failed${count("no_longer_failed") ? `, ${count("no_longer_failed")} no longer failed` : ""}`,
  );
  return 0;
};

runCommand(requeue, module);
