/**
 * Per-account send pacing: a token bucket (burst `capacity`, refilled at `perMinute`) plus a
 * random extra delay, so an account never sends in machine-regular bursts that get it banned.
 */
export interface PacingPolicy {
  perMinute: number;
  capacity: number;
  jitterMs: number;
}

export const DEFAULT_PACING: PacingPolicy = { perMinute: 20, capacity: 3, jitterMs: 800 };

export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly policy: PacingPolicy,
    nowMs: number,
  ) {
    this.tokens = policy.capacity;
    this.updatedMs = nowMs;
  }

  private refill(nowMs: number): void {
    const perMs = this.policy.perMinute / 60_000;
    this.tokens = Math.min(this.policy.capacity, this.tokens + Math.max(0, nowMs - this.updatedMs) * perMs);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
  }

  /** How long to wait before the next send may go (0 when a token is there); takes the token. */
  take(nowMs: number, random: () => number = Math.random): number {
    this.refill(nowMs);
    const jitter = Math.round(random() * this.policy.jitterMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return jitter;
    }
    const waitMs = Math.ceil((1 - this.tokens) / (this.policy.perMinute / 60_000));
    this.tokens -= 1; // borrowed: the wait pays it back
    return waitMs + jitter;
  }
}
