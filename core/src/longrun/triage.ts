import { z } from "zod";
import { GatewayError } from "../proxies/errors";

/**
 * Triage (the runbook's "Assign owner"): an operator acknowledges an open incident and names its
 * owner. An acknowledged incident is not re-announced until it resolves or escalates above the
 * severity it was acknowledged at (reconcileIncidents); the record keeps who, when and the owner.
 */

export const acknowledgeIncidentRequest = z.strictObject({
  incidentId: z.string().min(1).max(300),
  owner: z.string().trim().min(1).max(200),
});
export type AcknowledgeIncidentRequest = z.infer<typeof acknowledgeIncidentRequest>;

export type AcknowledgeOutcome = "acknowledged" | "missing" | "resolved";

export interface IncidentTriage {
  /** In one transaction: an open incident gets `acknowledgement` {by, owner, at, severity: its current one}. */
  acknowledge(args: { incidentId: string; owner: string; by: string; nowMs: number }): Promise<AcknowledgeOutcome>;
}

/** What a caller (callable or command) gets back; missing and resolved are refusals it can act on. */
export async function acknowledgeIncident(
  triage: IncidentTriage,
  req: AcknowledgeIncidentRequest,
  by: string,
  nowMs: number,
): Promise<{ incidentId: string; owner: string; acknowledgedBy: string }> {
  const outcome = await triage.acknowledge({ ...req, by, nowMs });
  if (outcome === "missing") throw new GatewayError("not-found", `no incident ${req.incidentId}`);
  if (outcome === "resolved") {
    throw new GatewayError("failed-precondition", `incident ${req.incidentId} is already resolved`);
  }
  return { incidentId: req.incidentId, owner: req.owner, acknowledgedBy: by };
}
