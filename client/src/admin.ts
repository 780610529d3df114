import type { FirebaseApp } from "firebase/app";
import { getFunctions, httpsCallable, type Functions } from "firebase/functions";
import type { z } from "zod";
import type { runProbeRequest, runRollupRequest } from "../../core/src/longrun/adminRequests.js";
import type { acknowledgeIncidentRequest } from "../../core/src/longrun/triage.js";
import type { FailedEntry, RequeueOutcome, requeueRequest } from "../../core/src/outbox/requeue.js";

/**
 * The admin-only callables an operator's app calls (an ID token with the `admin` custom claim),
 * typed: start a probe now, (re)compute a day's rollup, acknowledge an incident, requeue failed
 * messages. The account callables an operator also needs (add, regenerate QR, remove, list) are
 * in connectGateway.
 */
export interface AdminCallables {
  /** Starts an OUT, IN or QUEUE probe now; the watchdog finishes it (wa_metrics/longrun/probes/{probeKey}). */
  whatsappAdminRunProbe(request: z.input<typeof runProbeRequest>): Promise<{
    probeKey: string;
    /** PENDING (started), SKIPPED (not configured: see the probe's reason) or exists (same minute). */
    result: "PENDING" | "SKIPPED" | "exists";
  }>;
  /** (Re)computes the rollup of a past or current day (yyyy-mm-dd, UTC) and answers it. */
  whatsappAdminRunRollup(request: z.input<typeof runRollupRequest>): Promise<RollupAnswer>;
  /** Names the incident's owner: it stops re-alerting until it resolves or escalates (not-found, failed-precondition if resolved). */
  whatsappAdminAcknowledgeIncident(
    request: z.input<typeof acknowledgeIncidentRequest>,
  ): Promise<{ incidentId: string; owner: string; acknowledgedBy: string }>;
  /** Puts failed outbox entries back to queued under their same providerMessageId (or, dry, lists them). */
  whatsappAdminRequeue(
    request: z.input<typeof requeueRequest>,
  ): Promise<{ entries: (FailedEntry & { outcome: RequeueOutcome })[] }>;
}

/**
 * The figures of a day's rollup an operator's app shows (the document holds more: see
 * docs/operations.md). Written by hand because the rollup's type reaches into server-only code.
 */
export interface RollupAnswer {
  date: string;
  uptimePct: number | null;
  insufficientData: boolean;
  heartbeat: { coverage: number | null; observedBuckets: number; expectedBeats: number };
  gapCount: number;
  [figure: string]: unknown;
}

export const ADMIN_CALLABLES = [
  "whatsappAdminRunProbe",
  "whatsappAdminRunRollup",
  "whatsappAdminAcknowledgeIncident",
  "whatsappAdminRequeue",
] as const;

export function connectAdmin(
  app: FirebaseApp,
  options: { region?: string; functions?: Functions } = {},
): AdminCallables & { functions: Functions } {
  const functions = options.functions ?? getFunctions(app, options.region ?? "us-central1");
  const typed = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const name of ADMIN_CALLABLES) {
    const call = httpsCallable(functions, name);
    typed[name] = async (request) => (await call(request)).data;
  }
  return Object.assign(typed as unknown as AdminCallables, { functions });
}
