import { userInfo } from "node:os";
import { securityEvents } from "@wa-gateway/data";
import { answerHelp, commandWords, type OpsCommand, opsContext, runCommand, UsageError } from "./opsContext";

const USAGE = `usage: npm run security -- list [--hours 24 | --from <time> --to <time>]
       npm run security -- review <eventId> --note <what you concluded> [--by <you>]
  Security events are refused cross-tenant accesses (docs/operations.md). list prints them, the
  reviewed ones with their review; review records who looked and what they concluded, after which
  go-no-go no longer counts the event.
`;

/** `npm run security -- list | review <id> --note …`: the runbook's "review before GO". */
export const security: OpsCommand = async ({ argv, print, warn }) => {
  const { positionals, rest } = commandWords(argv);
  answerHelp(rest, USAGE);
  const [verb, eventId] = positionals;
  if (verb === "list" && positionals.length === 1) {
    const ctx = await opsContext(rest, { names: [], usage: USAGE });
    const events = await securityEvents.between(ctx.db, ctx.fromMs, ctx.toMs);
    print(
      `security events on ${ctx.target}, ${new Date(ctx.fromMs).toISOString()} to ${new Date(ctx.toMs).toISOString()}`,
    );
    for (const e of events) {
      const what = `${e.atIso} ${e.id} ${e.kind} ${e.callable} uid ${e.uid ?? "none"} account ${e.accountId ?? "-"} thread ${e.threadId ?? "-"}`;
      print(
        `  ${e.review ? "reviewed  " : "UNREVIEWED"} ${what}${e.review ? ` (${e.review.by}: ${e.review.note})` : ""}`,
      );
    }
    print(`${events.length} event(s), ${events.filter((e) => !e.review).length} not reviewed`);
    return 0;
  }
  if (verb !== "review" || !eventId || positionals.length > 2) throw new UsageError(USAGE);
  const ctx = await opsContext(rest, { names: ["note", "by"] as const, usage: USAGE });
  const note = ctx.options.note?.trim();
  if (!note) throw new UsageError(`--note is required (what the review concluded)\n${USAGE}`);
  const by = `operator:${ctx.options.by ?? userInfo().username}`;
  const result = await securityEvents.review(ctx.db, eventId, { by, note: note.slice(0, 500), atMs: ctx.nowMs });
  if (result === "missing") {
    warn(`no security event ${eventId}`);
    return 2;
  }
  print(`reviewed ${eventId}, by ${by}`);
  return 0;
};

runCommand(security, module);
