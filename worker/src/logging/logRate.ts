/**
 * Bounds how often one kind of log line is written: at most `perWindow` per window per key.
 * Lines past the bound are counted, and the count (`suppressed`) rides on the next line let
 * through, so a flood (a peer whose messages never decrypt) costs a few lines a minute, not one
 * per message, and nothing is silently lost from the count.
 */
export class LogRate {
  private readonly windows = new Map<string, { startMs: number; logged: number; suppressed: number }>();

  constructor(
    private readonly perWindow = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; the oldest window is forgotten past it. */
    private readonly maxKeys = 1_000,
  ) {}

  /** `{ log: true, suppressed }` when this line may be written (with the count since the last one). */
  admit(key: string): { log: true; suppressed: number } | { log: false } {
    const nowMs = this.now();
    let w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0;
      if (!w && this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(key, (w = { startMs: nowMs, logged: 0, suppressed }));
    }
    if (w.logged >= this.perWindow) {
      w.suppressed++;
      return { log: false };
    }
    w.logged++;
    const suppressed = w.suppressed;
    w.suppressed = 0;
    return { log: true, suppressed };
  }
}
