import { z } from "zod";
import { timestamp } from "./common";

/**
 * `workers/{workerId}`: a running worker, renewed with its account leases. The workers read each
 * other's to share the accounts evenly (a new one is seen at once, one that stops deletes its own,
 * one that died is gone once `leaseUntil` passes). Server-only.
 */
export const workerDocument = z.object({
  leaseUntil: timestamp,
  /** The most sockets it holds (MAX_ACCOUNTS_PER_WORKER). */
  maxAccounts: z.number().int().positive(),
  /** Accounts it held at its last renewal. */
  held: z.number().int().nonnegative(),
  startedAt: timestamp,
  /** TTL: a worker that died is deleted a day later. */
  expireAt: timestamp,
});
export type WorkerDocument = z.infer<typeof workerDocument>;
