/** The heartbeat lock's one decision: whose lease it is now. */

export interface LockView {
  holder: string;
  leaseUntilMs: number;
  epoch: number;
}

export type LockStep = "acquire" | "renew" | "held_elsewhere";

export function lockStep(lock: LockView | undefined, me: string, nowMs: number): LockStep {
  if (!lock || lock.leaseUntilMs <= nowMs) return "acquire";
  return lock.holder === me ? "renew" : "held_elsewhere";
}

/**
 * Worst-case silence when the holder dies just before a beat: one interval, plus the rest of
 * its lease, plus one poll of the standby. Kept under the runbook's 120 s max-gap target.
 */
export function worstCaseHandoverSec(intervalSec: number, leaseSec: number, pollSec: number): number {
  return intervalSec + leaseSec + pollSec;
}
