import type { InboundMedia, InboundMessage, Receipt } from "../accounts/transportEvents";
import { isMediaKind } from "../media/limits";
import type { CloudMessage, CloudStatus } from "./webhookPayload";

/**
 * A Cloud API event as the transports' common terms (accounts/transportEvents.ts): a webhook
 * message becomes an InboundMessage, a status a Receipt, so the worker stores them exactly as it
 * stores Baileys' (the same threads, dedupe, opt-outs, changes).
 */

const userJid = (waId: string) => `${waId.replace(/^\+/, "")}@s.whatsapp.net`;

type Content = Pick<InboundMessage, "kind" | "text" | "change">;

/** Meta's typed sub-object of a message (`message[message.type]`), as a plain record. */
const part = (message: CloudMessage, key: string): Record<string, unknown> =>
  typeof message[key] === "object" && message[key] !== null ? (message[key] as Record<string, unknown>) : {};
const str = (value: unknown): string => (typeof value === "string" ? value : "");

function contentOf(message: CloudMessage): Content | undefined {
  const body = part(message, message.type);
  switch (message.type) {
    case "text":
      return { kind: "text", text: str(body.body) };
    case "image":
    case "video":
    case "sticker":
      return { kind: message.type, text: str(body.caption) };
    case "audio":
      return { kind: body.voice === true ? "voice" : "audio", text: "" };
    case "document":
      return { kind: "document", text: str(body.caption) || str(body.filename) };
    case "location":
      return { kind: "location", text: str(body.name) || str(body.address) };
    case "contacts": {
      const first = Array.isArray(message.contacts)
        ? (message.contacts[0] as { name?: { formatted_name?: unknown } })
        : undefined;
      return { kind: "contact", text: str(first?.name?.formatted_name) };
    }
    case "button":
      return { kind: "text", text: str(body.text) };
    case "interactive": {
      const reply = (body.button_reply ?? body.list_reply) as { title?: unknown } | undefined;
      return { kind: "text", text: str(reply?.title) };
    }
    case "reaction": {
      const target = str(body.message_id);
      if (!target) return undefined;
      // A customer reacts to what the business sent (the Cloud API does not say whose the target
      // is), naming it by its wamid: the transport finds our id for it in the send's statuses.
      return {
        text: "",
        change: { target: { messageId: target, fromMe: true }, type: "reaction", emoji: str(body.emoji) },
      };
    }
    case "system":
      // A number change or the like: no message of the customer's.
      return undefined;
    default:
      return { kind: "unknown", text: "" };
  }
}

/** Meta's SHA-256 of a file (base64, or hex) as hex; null when it is neither. */
function hexSha256Of(value: unknown): string | null {
  const text = str(value);
  if (/^[0-9a-f]{64}$/i.test(text)) return text.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    const bytes = [...atob(text)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0"));
    return bytes.join("");
  }
  return null;
}

/**
 * The file a customer's media message names: Meta gives its id (fetched with the number's token),
 * type, hash and caption, not its size, which the download counts against the kind's cap.
 */
function mediaOf(message: CloudMessage, kind: InboundMessage["kind"]): InboundMedia | undefined {
  const body = part(message, message.type);
  const id = str(body.id);
  if (!id || !kind || !isMediaKind(kind)) return undefined;
  return {
    kind,
    mimetype: str(body.mime_type) || "application/octet-stream",
    size: 0,
    sha256: hexSha256Of(body.sha256),
    ...(str(body.filename) ? { fileName: str(body.filename) } : {}),
    ref: id,
  };
}

/** A customer's message to the number; undefined for what is no message (system notices). */
export function inboundOfCloudMessage(message: CloudMessage): InboundMessage | undefined {
  const content = contentOf(message);
  if (!content) return undefined;
  const media = content.change ? undefined : mediaOf(message, content.kind);
  return {
    messageId: message.id,
    fromJid: userJid(message.from),
    ...content,
    ...(media ? { media } : {}),
    timestamp: new Date(Number(message.timestamp) * 1000),
  };
}

/**
 * What a status says of one of our sends (its wamid, our providerMessageId): `sent` is Meta's
 * acceptance, already known from the send's answer; `delivered`, `read` and `failed` are receipts.
 */
export function receiptOfCloudStatus(status: CloudStatus): Receipt | "sent" | undefined {
  switch (status.status) {
    case "sent":
      return "sent";
    case "delivered":
    case "read":
      return { messageId: status.id, status: status.status };
    case "failed": {
      const errors = Array.isArray(status.errors) ? (status.errors as Array<{ code?: unknown }>) : [];
      const code = typeof errors[0]?.code === "number" ? errors[0].code : undefined;
      return { messageId: status.id, status: "failed", code };
    }
    default:
      return undefined;
  }
}
