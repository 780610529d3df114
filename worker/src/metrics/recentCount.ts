/**
 * Events in the last `windowMs`, in constant memory: counts kept per slot of `windowMs / slots`,
 * the oldest slot overwritten as time moves on (precision: one slot).
 */
export class RecentCount {
  private readonly counts: number[];
  private readonly slotStart: number[];
  private readonly slotMs: number;

  constructor(
    private readonly windowMs: number,
    slots = 30,
    private readonly now: () => number = Date.now,
  ) {
    this.slotMs = Math.ceil(windowMs / slots);
    this.counts = new Array<number>(slots).fill(0);
    this.slotStart = new Array<number>(slots).fill(-Infinity);
  }

  add(n = 1): void {
    const t = this.now();
    const start = t - (t % this.slotMs);
    const i = Math.floor(start / this.slotMs) % this.counts.length;
    if (this.slotStart[i] !== start) {
      this.slotStart[i] = start;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  /** How many counters it keeps: fixed at construction, whatever the traffic. */
  get slots(): number {
    return this.counts.length;
  }

  total(): number {
    const cutoff = this.now() - this.windowMs;
    let sum = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.slotStart[i]! > cutoff) sum += this.counts[i]!;
    return sum;
  }
}
