import { ServerClock } from "../../../worker/src/serverClock";

/**
 * Firestore's clock for the in-memory stores and the worker under test: it runs with the
 * machine's, and `advance` moves it ahead at once (a lease runs out, a retry comes due) without
 * waiting.
 */
export class TestClock extends ServerClock {
  private aheadMs = 0;

  override observe(): void {}

  override now(): number {
    return Date.now() + this.aheadMs;
  }

  advance(ms: number): void {
    this.aheadMs += ms;
  }
}
