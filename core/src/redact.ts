/**
 * Secret masking, in one place. Field names listed here are masked wherever they appear in a
 * log record or error detail; `maskSecret` keeps just enough of a value to tell two apart.
 */

export const SECRET_FIELD_NAMES = [
  "token",
  "botToken",
  "idToken",
  "accessToken",
  "refreshToken",
  "authorization",
  "password",
  "privateKey",
  "creds",
  "keys",
  "qr",
  "pairingCode",
  "appSecret",
  "verifyToken",
] as const;

const SECRET_KEYS = new Set<string>(SECRET_FIELD_NAMES.map((k) => k.toLowerCase()));

export function isSecretField(name: string): boolean {
  return SECRET_KEYS.has(name.toLowerCase());
}

export function maskSecret(value: string): string {
  return value.length <= 8 ? "***" : `${value.slice(0, 2)}***${value.slice(-2)}`;
}

/** A deep copy of `value` with every secret field masked; cycles are cut. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[cycle]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretField(key) ? (typeof v === "string" ? maskSecret(v) : "[redacted]") : redact(v, seen);
  }
  return out;
}

/**
 * Secrets recognisable in free text: what `scrubText` removes and what the GO/NO-GO log
 * checkpoint hunts for in exported logs (one list, so the two cannot drift).
 */
export const SECRET_TEXT_PATTERNS = [
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, mask: "[jwt]" },
  { kind: "telegram_bot_token", pattern: /(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}/g, mask: "[bot-token]" },
  { kind: "bearer_token", pattern: /\bBearer\s+(?!\[)[A-Za-z0-9._~+/=-]{8,}/gi, mask: "Bearer [redacted]" },
  {
    kind: "private_key",
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    mask: "[private-key]",
  },
] as const;
export type SecretKind = (typeof SECRET_TEXT_PATTERNS)[number]["kind"];

/** Removes anything that looks like a token, a JWT or a private key from free text, and Bot API paths. */
export function scrubText(text: string): string {
  return SECRET_TEXT_PATTERNS.reduce((out, { pattern, mask }) => out.replace(pattern, mask), text).replace(
    /\/bot[^/\s[]+\//g,
    "/bot[redacted]/",
  );
}

/** The secrets found in `text`, each kind with a masked sample (never the value itself). */
export function findSecrets(text: string): { kind: SecretKind; sample: string }[] {
  const found: { kind: SecretKind; sample: string }[] = [];
  for (const { kind, pattern } of SECRET_TEXT_PATTERNS) {
    for (const match of text.matchAll(pattern)) found.push({ kind, sample: maskSecret(match[0]) });
  }
  return found;
}
