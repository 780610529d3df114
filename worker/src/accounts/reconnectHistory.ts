import { afterClose, closesWithinHour, type AfterClose, type ReconnectPolicy } from "@wa-gateway/core/accounts";

const HOUR_MS = 3_600_000;

/**
 * What one claim of an account has seen of its socket's closes: the last hour's closes (seeded
 * from the account document, so a new holder counts the old holder's), the failures since the
 * last open, and the cool-down if one runs. Each close is decided by core's `afterClose`.
 */
export class ReconnectHistory {
  private closesMs: number[];
  private failures = 0;
  private reconnects = 0;
  private lastCloseCode: number | undefined;
  private cooldownUntilMsNow: number | null = null;
  /** The cool-down end already reported (logged once per cool-down). */
  private cooldownReported: number | null = null;

  constructor(
    recentDisconnectsMs: number[],
    private readonly policy: ReconnectPolicy,
    /** The cool-down stored on the account (0: none): a takeover or a deploy does not cut it short. */
    storedCooldownUntilMs = 0,
  ) {
    this.closesMs = recentDisconnectsMs;
    this.cooldownUntilMsNow = storedCooldownUntilMs > 0 ? storedCooldownUntilMs : null;
  }

  get cooldownUntilMs(): number | null {
    return this.cooldownUntilMsNow;
  }

  /** How long a connect must still wait for the cool-down at `nowMs` (server time); 0: none runs. */
  cooldownLeftMs(nowMs: number): number {
    return this.cooldownUntilMsNow === null ? 0 : Math.max(0, this.cooldownUntilMsNow - nowMs);
  }

  /** Whether the cool-down ending at `untilMs` is still to be reported (it is logged once). */
  cooldownUnreported(untilMs: number): boolean {
    return this.cooldownReported !== untilMs;
  }

  cooldownReportedFor(untilMs: number): void {
    this.cooldownReported = untilMs;
  }

  /** The socket logged in: failures and any cool-down are over. */
  opened(): void {
    this.failures = 0;
    this.cooldownUntilMsNow = null;
  }

  /** A close at `nowMs` (server time): what comes next. */
  closed(code: number | undefined, wasLinking: boolean, nowMs: number): AfterClose {
    this.closesMs = [...this.closesMs, nowMs].filter((t) => t > nowMs - HOUR_MS);
    this.lastCloseCode = code;
    const next = afterClose(
      { code, wasLinking, closesInLastHour: this.closesInLastHour(nowMs), failures: this.failures + 1 },
      this.policy,
    );
    this.cooldownUntilMsNow = next.kind === "reconnect_later" && next.cooldown ? nowMs + next.delayMs : null;
    return next;
  }

  /** A reconnect follows the close just decided; only a later one counts as a failure. */
  reconnecting(next: AfterClose): void {
    this.reconnects++;
    if (next.kind !== "reconnect_now") this.failures++;
  }

  closesInLastHour(nowMs: number): number {
    return closesWithinHour(this.closesMs, nowMs);
  }

  snapshot(nowMs: number) {
    return {
      lastCloseCode: this.lastCloseCode ?? null,
      reconnects: this.reconnects,
      closesInLastHour: this.closesInLastHour(nowMs),
      cooldownUntil: this.cooldownUntilMsNow !== null ? new Date(this.cooldownUntilMsNow).toISOString() : null,
    };
  }
}
