import { createHash, timingSafeEqual } from "node:crypto";
import { checkSignature } from "./webhookSignature";
import { contentOf, type CloudEvent } from "./webhookEvents";

/**
 * The Cloud API webhook, as a pure handler (functions/src/whatsappCloudWebhook.ts adapts it):
 *
 *   GET  ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C   Meta subscribing the URL:
 *        200 C only for the configured verify token, else 403.
 *   POST X-Hub-Signature-256 over the raw body                     a delivery:
 *        403 unless signed with the app secret (nothing stored);
 *        200 once every event is stored (a replay is stored once), so nothing acknowledged is lost;
 *        a store error throws (500): Meta delivers again, for up to 7 days.
 *
 * Events are stored, not processed: the account's worker, which holds its lease, takes them from
 * there into threads and message statuses like every other transport's (ARCHITECTURE §8).
 */

export interface WebhookSettings {
  /** `WA_CLOUD_VERIFY_TOKEN`; empty: no subscription is ever verified. */
  verifyToken: string;
  /** `WA_CLOUD_APP_SECRET` (one Meta app); empty or `off`: every POST is refused. */
  appSecret: string;
}

export interface WebhookRequest {
  method: string;
  query: URLSearchParams;
  /** The `X-Hub-Signature-256` header. */
  signature: string | undefined;
  /** The body exactly as received; undefined when there was none. */
  rawBody: Uint8Array | undefined;
}

/** Stores one event under its id: `replayed` when it already was (a delivery Meta repeated). */
export interface CloudEventStore {
  record(event: CloudEvent): Promise<"recorded" | "replayed">;
}

export type WebhookOutcome =
  | { outcome: "verified" }
  | { outcome: "verification_refused"; reason: "off" | "mode" | "token" }
  | { outcome: "stored"; recorded: number; replayed: number; ignored: string[] }
  | { outcome: "signature_refused"; reason: "off" | "missing" | "mismatch" }
  | { outcome: "malformed"; reason: string }
  | { outcome: "method_not_allowed" };

export type WebhookAnswer = WebhookOutcome & { status: 200 | 400 | 403 | 405; body: string };

/** Equal, in a time that tells nothing of where they differ (digests: any text, any length). */
const sameText = (a: string, b: string) =>
  timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());

export const appSecretIsOff = (appSecret: string) => appSecret === "" || appSecret === "off";

export async function handleCloudWebhook(
  settings: WebhookSettings,
  events: CloudEventStore,
  request: WebhookRequest,
): Promise<WebhookAnswer> {
  if (request.method === "GET") return verification(settings, request.query);
  if (request.method !== "POST") return { outcome: "method_not_allowed", status: 405, body: "GET or POST" };
  if (appSecretIsOff(settings.appSecret)) {
    return { outcome: "signature_refused", reason: "off", status: 403, body: "the Cloud API webhook is off" };
  }
  const rawBody = request.rawBody ?? new Uint8Array();
  const signature = checkSignature(settings.appSecret, rawBody, request.signature);
  if (signature !== "valid") {
    return { outcome: "signature_refused", reason: signature, status: 403, body: "signature refused" };
  }
  const content = contentOf(rawBody);
  if (content.kind === "malformed") {
    return { outcome: "malformed", reason: content.reason, status: 400, body: content.reason };
  }
  const results = await Promise.all(content.events.map((event) => events.record(event)));
  const recorded = results.filter((r) => r === "recorded").length;
  return {
    outcome: "stored",
    recorded,
    replayed: results.length - recorded,
    ignored: content.ignored,
    status: 200,
    body: "EVENT_RECEIVED",
  };
}

function verification(settings: WebhookSettings, query: URLSearchParams): WebhookAnswer {
  const refused = (reason: "off" | "mode" | "token"): WebhookAnswer => ({
    outcome: "verification_refused",
    reason,
    status: 403,
    body: "verification refused",
  });
  if (settings.verifyToken === "") return refused("off");
  if (query.get("hub.mode") !== "subscribe") return refused("mode");
  if (!sameText(query.get("hub.verify_token") ?? "", settings.verifyToken)) return refused("token");
  return { outcome: "verified", status: 200, body: query.get("hub.challenge") ?? "" };
}
