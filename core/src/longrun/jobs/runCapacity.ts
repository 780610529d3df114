import { instancesFor, type CapacityPolicy } from "../capacity";
import type { JobLog } from "../ports";

/** What a capacity run decided: nothing to change, a change made, or (dry run) one it would make. */
export type CapacityOutcome =
  | { kind: "kept"; instances: number; liveAccounts: number }
  | { kind: "set" | "would_set"; from: number | null; to: number; liveAccounts: number; capped: boolean };

/** The worker service's service-level scaling (Cloud Run Admin API); never its revision template. */
export interface WorkerScaling {
  minInstances(): Promise<number | null>;
  setMinInstances(instances: number): Promise<void>;
}

export interface CapacityDeps {
  liveAccounts(): Promise<number>;
  scaling: WorkerScaling;
  policy: CapacityPolicy;
  dryRun: boolean;
  log: JobLog;
}

/** One capacity run: count the accounts that need a socket, and set the minimum instances to match. */
export async function runCapacity(deps: CapacityDeps): Promise<CapacityOutcome> {
  const [liveAccounts, current] = await Promise.all([deps.liveAccounts(), deps.scaling.minInstances()]);
  const to = instancesFor(liveAccounts, deps.policy);
  const capped = Math.ceil(liveAccounts / deps.policy.accountsPerWorker) + deps.policy.spare > to;
  if (capped) {
    deps.log.warn("capacity_capped", {
      liveAccounts,
      maxInstances: deps.policy.maxInstances,
      accountsPerWorker: deps.policy.accountsPerWorker,
    });
  }
  if (current === to) {
    deps.log.info("capacity_kept", { instances: to, liveAccounts });
    return { kind: "kept", instances: to, liveAccounts };
  }
  if (deps.dryRun) {
    deps.log.info("capacity_dry_run", { from: current, to, liveAccounts });
    return { kind: "would_set", from: current, to, liveAccounts, capped };
  }
  await deps.scaling.setMinInstances(to);
  deps.log.info("capacity_set", { from: current, to, liveAccounts });
  return { kind: "set", from: current, to, liveAccounts, capped };
}
