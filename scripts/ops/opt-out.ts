import { userInfo } from "node:os";
import { contactJidOf } from "@wa-gateway/core/accounts";
import { optOuts } from "@wa-gateway/data";
import { answerHelp, commandWords, type OpsCommand, opsContext, runCommand, UsageError } from "./opsContext";

const USAGE = `usage: npm run opt-out -- list <accountId>
       npm run opt-out -- clear <accountId> <phone number or JID> [--by <you>]
  Contacts who wrote an opt-out keyword (STOP, BAJA, ARRÊTER…) to an account; whatsappProxySend
  refuses to message them (docs/api.md "Opt-out (STOP)"). list prints the account's records; clear removes a
  contact's record (under its number and its LID), as its writing START would. Clear only when
  the contact asked to be messaged again.
`;

/** `npm run opt-out -- list <accountId> | clear <accountId> <phone|jid>`: who opted out, and the admin's clear. */
export const optOut: OpsCommand = async ({ argv, print, warn }) => {
  const { positionals, rest } = commandWords(argv);
  answerHelp(rest, USAGE);
  const [verb, accountId, contact] = positionals;
  if (verb === "list" && accountId && positionals.length === 2) {
    const ctx = await opsContext(rest, { names: [], usage: USAGE });
    const records = (await optOuts.ofAccount(ctx.db, accountId).get()).docs.map((d) => d.data());
    records.sort((a, b) => a.at.toMillis() - b.at.toMillis());
    print(`opt-outs of account ${accountId} on ${ctx.target}`);
    for (const r of records) {
      const other = r.otherJid ? ` (also ${r.otherJid})` : "";
      print(`  ${r.at.toDate().toISOString()} ${r.contactJid}${other} wrote ${r.keyword} (message ${r.messageId})`);
    }
    print(`${records.length} record(s)`);
    return 0;
  }
  if (verb !== "clear" || !accountId || !contact || positionals.length > 3) throw new UsageError(USAGE);
  const jid = contactJidOf(contact);
  if (!jid) {
    throw new UsageError(
      `${JSON.stringify(contact)}: not a phone number (digits, e.g. +40712345678) or a JID (…@s.whatsapp.net, …@lid)\n${USAGE}`,
    );
  }
  const ctx = await opsContext(rest, { names: ["by"] as const, usage: USAGE });
  const by = `operator:${ctx.options.by ?? userInfo().username}`;
  const cleared = await optOuts.clear(ctx.db, accountId, jid);
  if (cleared === "missing") {
    warn(`no opt-out of ${jid} on account ${accountId}`);
    return 2;
  }
  // The clear's record is this line (and the operator's shell history): the contact's record is gone.
  print(
    JSON.stringify({
      event: "opt_out_cleared",
      accountId,
      contactJids: cleared,
      by,
      at: new Date(ctx.nowMs).toISOString(),
    }),
  );
  print(`cleared the opt-out of ${cleared.join(" and ")} on account ${accountId}, by ${by}`);
  return 0;
};

runCommand(optOut, module);
