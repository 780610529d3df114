/** Runs `op` until it succeeds, backing off from 100 ms to 2 s, while `mayRetry(attempt)`; then rethrows. */
export async function retryWhile<T>(
  op: () => Promise<T>,
  mayRetry: (attempt: number) => boolean,
  onRetry: (err: Error, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const delayMs = Math.min(2000, 100 * 2 ** (attempt - 1));
      if (!mayRetry(attempt)) throw err;
      onRetry(err as Error, attempt);
      await new Promise((r) => setTimeout(r, delayMs));
      if (!mayRetry(attempt)) throw err;
    }
  }
}

/** The promise's outcome, or `late()` as a rejection past `ms` (the work itself goes on: nothing here can stop it). */
export function withinMs<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
