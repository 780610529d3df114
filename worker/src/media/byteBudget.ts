/**
 * The worker's budget of media bytes in flight (downloads and sends): each file reserves its size
 * before its bytes move and gives it back after, first come first served. Nothing is dropped:
 * what does not fit waits for room. A file larger than the whole budget waits until it is alone.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];

  constructor(readonly totalBytes: number) {}

  /** Runs `work` once `bytes` fit, then gives them back (whatever `work` did). */
  async use<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    const release = await this.reserve(bytes);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Waits until `bytes` fit and holds them until the returned function is called (once; later
   * calls do nothing): for work that outlives its caller's wait, such as a send that timed out.
   */
  async reserve(bytes: number): Promise<() => void> {
    const reserved = Math.min(bytes, this.totalBytes);
    await this.acquire(reserved);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.used -= reserved;
      this.next();
    };
  }

  private acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.used + bytes <= this.totalBytes) {
      this.used += bytes;
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push({ bytes, go }));
  }

  private next(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.totalBytes) {
      const { bytes, go } = this.waiting.shift()!;
      this.used += bytes;
      go();
    }
  }
}
