import { LRUCache } from "lru-cache";

/** Entries remembered; a forgotten one only means waiting out the lease, as before. */
const KEPT = 1_000;

/** One claim of an entry, as its decision sees it. */
export interface ClaimAttempt {
  /** The epoch of a claim of ours whose answer was lost (an earlier call's, or this call's before a retry). */
  ownEpoch(): number | undefined;
  /** This attempt is about to commit `epoch`. */
  trying(epoch: number): void;
}

/**
 * Claims whose commit answer was lost (UNKNOWN, a deadline), by entry: the epoch each tried, so
 * that the next claim knows that lease as its own (core's decideClaim). While two claims of one
 * entry overlap in this worker, neither knows any lease as its own: the other may have landed
 * that epoch, and be sending under it.
 */
export class UnansweredClaims {
  private readonly tried = new LRUCache<string, number>({ max: KEPT });
  private readonly running = new Map<string, { count: number; overlapped: boolean }>();

  async around<R>(requestId: string, claim: (attempt: ClaimAttempt) => Promise<R>): Promise<R> {
    const run = this.running.get(requestId) ?? { count: 0, overlapped: false };
    run.count++;
    run.overlapped ||= run.count > 1;
    this.running.set(requestId, run);
    let epoch: number | undefined;
    try {
      const result = await claim({
        ownEpoch: () => (run.overlapped ? undefined : (this.tried.get(requestId) ?? epoch)),
        trying: (e) => (epoch = e),
      });
      this.tried.delete(requestId);
      return result;
    } catch (err) {
      if (epoch !== undefined && !run.overlapped) this.tried.set(requestId, epoch);
      throw err;
    } finally {
      if (--run.count === 0) this.running.delete(requestId);
    }
  }
}
