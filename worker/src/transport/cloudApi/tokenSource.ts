/**
 * A Cloud API number's access token, read from Secret Manager when its account connects (not
 * bound at deploy, so adding an account needs no redeploy), kept for `cacheMs`, forgotten when Meta
 * refuses it so a rotated secret is read again.
 *
 * REST `GET {apiRoot}/v1/{name}:access` (Secret Manager's `versions.access`), with the worker's
 * own identity; `bearer` null on the emulator, whose fake on 127.0.0.1 takes no credentials.
 */
export interface TokenSource {
  read(secretName: string): Promise<string>;
  forget(secretName: string): void;
}

export class TokenUnreadable extends Error {
  constructor(secretName: string, why: string) {
    super(`the access token in ${secretName} could not be read: ${why}`);
    this.name = "TokenUnreadable";
  }
}

export function secretManagerTokens(o: {
  apiRoot: string;
  bearer: () => Promise<string | null>;
  cacheMs: number;
  timeoutMs?: number;
}): TokenSource {
  const cache = new Map<string, { token: string; untilMs: number }>();
  return {
    async read(secretName) {
      const cached = cache.get(secretName);
      if (cached && cached.untilMs > Date.now()) return cached.token;
      const bearer = await o.bearer();
      let response: Response;
      try {
        response = await fetch(`${o.apiRoot.replace(/\/$/, "")}/v1/${secretName}:access`, {
          headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new TokenUnreadable(secretName, (err as Error).name);
      }
      // Secret Manager's error text names the secret and the caller, never the value.
      if (!response.ok) throw new TokenUnreadable(secretName, `Secret Manager answered ${response.status}`);
      const body = (await response.json().catch(() => ({}))) as { payload?: { data?: string } };
      const token = Buffer.from(body.payload?.data ?? "", "base64")
        .toString("utf8")
        .trim();
      if (!token) throw new TokenUnreadable(secretName, "the secret version is empty");
      cache.set(secretName, { token, untilMs: Date.now() + o.cacheMs });
      return token;
    },
    forget(secretName) {
      cache.delete(secretName);
    },
  };
}
