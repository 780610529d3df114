import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Whether a webhook POST came from Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
 * body, keyed with the app secret>`. Only the raw bytes count: a body parsed and serialised again
 * is not what Meta signed.
 */
export type SignatureCheck = "valid" | "missing" | "mismatch";

export function checkSignature(appSecret: string, rawBody: Uint8Array, header: string | undefined): SignatureCheck {
  if (!header) return "missing";
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return "mismatch";
  const expected = createHmac("sha256", appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, "hex")) ? "valid" : "mismatch";
}

/** The header Meta would send for `rawBody`: for the fake Graph API and the tests. */
export function signatureOf(appSecret: string, rawBody: Uint8Array): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}
