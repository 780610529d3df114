/**
 * Retries for `whatsappProxySend`: `httpsCallable` does not retry by itself. A send is idempotent
 * under its `clientMessageId` (a repeat answers `duplicate: true`), so a call that failed with
 * `unavailable` (the gateway could not commit in time) or timed out (`deadline-exceeded`) is
 * repeated with the same request after a jittered, growing pause. Anything else is final.
 */
export interface RetryOptions {
  /** Calls in all, the first included (default 5). */
  attempts?: number;
  /** The first pause's upper bound; each later one doubles, up to `maxDelayMs` (defaults 500 ms, 8 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** For tests: the pause and the randomness. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const RETRYABLE = new Set(["functions/unavailable", "functions/deadline-exceeded"]);

/** Whether a callable's error is worth the same call again (FirebaseError codes). */
export function retryableCallError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && RETRYABLE.has(code);
}

/** `call()` until it answers, fails with a final error, or the attempts are used ("full jitter" pauses). */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 8_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts || !retryableCallError(err)) throw err;
      await sleep(Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1))));
    }
  }
}
