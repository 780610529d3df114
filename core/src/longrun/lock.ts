/**
 * Worst-case silence when the holder dies just before a beat: one interval, plus the rest of
 * its lease, plus one poll of the standby. Kept under the runbook's 120 s max-gap target.
 */
export function worstCaseHandoverSec(intervalSec: number, leaseSec: number, pollSec: number): number {
  return intervalSec + leaseSec + pollSec;
}
