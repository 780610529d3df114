import { userInfo } from "node:os";
import { acknowledgeIncident, acknowledgeIncidentRequest } from "@wa-gateway/core/longrun";
import { GatewayError } from "@wa-gateway/core/proxies";
import { firestoreIncidentTriage } from "../../functions/src/stores/incidentTriageStore";
import { answerHelp, commandWords, type OpsCommand, opsContext, runCommand, UsageError } from "./opsContext";

const USAGE = `usage: npm run incident -- ack <incidentId> --owner <who> [--by <you>]
  Acknowledges an open incident and names its owner: it stops re-alerting until it resolves
  or escalates to a higher severity. --by defaults to your login name.
`;

/** `npm run incident -- ack <id> --owner …`: the runbook's "Assign owner". */
export const incident: OpsCommand = async ({ argv, print, warn }) => {
  const { positionals, rest } = commandWords(argv);
  answerHelp(rest, USAGE);
  const [verb, incidentId] = positionals;
  if (verb !== "ack" || !incidentId || positionals.length > 2) throw new UsageError(USAGE);
  const ctx = await opsContext(rest, { names: ["owner", "by"] as const, usage: USAGE });
  const parsed = acknowledgeIncidentRequest.safeParse({ incidentId, owner: ctx.options.owner ?? "" });
  if (!parsed.success) throw new UsageError(`--owner is required (who takes the incident)\n${USAGE}`);
  const by = `operator:${ctx.options.by ?? userInfo().username}`;
  try {
    const done = await acknowledgeIncident(firestoreIncidentTriage(ctx.db, by), parsed.data, by, ctx.nowMs);
    print(`acknowledged ${done.incidentId}: owner ${done.owner}, by ${done.acknowledgedBy}`);
    return 0;
  } catch (err) {
    if (err instanceof GatewayError) {
      warn(err.message);
      return 2;
    }
    throw err;
  }
};

runCommand(incident, module);
