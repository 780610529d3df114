import { performance } from "node:perf_hooks";

/**
 * Firestore's clock, as this worker last saw it (a read or commit time), carried forward by the
 * local monotonic clock. Lease decisions use it instead of the machine's wall clock, so a worker
 * whose clock is minutes off neither claims a live lease nor writes one already expired: only
 * durations are measured locally.
 */
export class ServerClock {
  private offsetMs: number | null = null;

  /** A server time (read time, commit time) seen just now. */
  observe(serverMs: number): void {
    this.offsetMs = serverMs - performance.now();
  }

  /** Server time now; the wall clock until Firestore has answered once. */
  now(): number {
    return this.offsetMs === null ? Date.now() : performance.now() + this.offsetMs;
  }
}
