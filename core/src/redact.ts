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

/** Removes anything that looks like a Telegram bot token or a bearer token from free text. */
export function scrubText(text: string): string {
  return text
    .replace(/\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g, "[bot-token]")
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]")
    .replace(/\/bot[^/\s]+\//g, "/bot[redacted]/");
}
