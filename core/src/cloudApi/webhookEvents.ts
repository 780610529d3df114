import { encodeIdSegment } from "../ids";
import {
  messagesChange,
  webhookPayload,
  type CloudContact,
  type CloudMessage,
  type CloudStatus,
} from "./webhookPayload";

/**
 * One thing Meta told a phone number, as the webhook stores it for the account's worker: a
 * message (with its sender's profile) or a status of one of the account's sends.
 */
export type CloudEvent =
  | {
      kind: "message";
      id: string;
      phoneNumberId: string;
      wamid: string;
      message: CloudMessage;
      contact: CloudContact | null;
    }
  | { kind: "status"; id: string; phoneNumberId: string; wamid: string; status: CloudStatus };

/**
 * The event's document id. Meta may deliver one event more than once (its retries, our slow
 * answer): the same message or the same status of a send always gets the same id, so storing it
 * again is a replay, not a second event.
 */
export const cloudEventId = (
  event: { kind: "message"; wamid: string } | { kind: "status"; wamid: string; status: string },
) =>
  event.kind === "message"
    ? `m_${encodeIdSegment(event.wamid)}`
    : `s_${encodeIdSegment(event.wamid)}_${encodeIdSegment(event.status)}`;

/**
 * What a signed POST body says: its events, and the changes it carried that the gateway does not
 * take (other fields, such as `account_update`; values not shaped as documented), by field name.
 */
export type WebhookContent =
  { kind: "events"; events: CloudEvent[]; ignored: string[] } | { kind: "malformed"; reason: string };

export function contentOf(rawBody: Uint8Array): WebhookContent {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(rawBody).toString("utf8"));
  } catch {
    return { kind: "malformed", reason: "the body is not JSON" };
  }
  const payload = webhookPayload.safeParse(json);
  if (!payload.success)
    return { kind: "malformed", reason: "the body is not a webhook payload (object, entry[].changes[])" };
  const events: CloudEvent[] = [];
  const ignored: string[] = [];
  for (const change of payload.data.entry.flatMap((entry) => entry.changes)) {
    const value = change.field === "messages" ? messagesChange.safeParse(change.value) : undefined;
    if (!value?.success) {
      ignored.push(change.field);
      continue;
    }
    const phoneNumberId = value.data.metadata.phone_number_id;
    const contacts = new Map((value.data.contacts ?? []).map((contact) => [contact.wa_id, contact]));
    for (const message of value.data.messages ?? []) {
      const wamid = message.id;
      events.push({
        kind: "message",
        id: cloudEventId({ kind: "message", wamid }),
        phoneNumberId,
        wamid,
        message,
        contact: contacts.get(message.from) ?? null,
      });
    }
    for (const status of value.data.statuses ?? []) {
      const wamid = status.id;
      events.push({
        kind: "status",
        id: cloudEventId({ kind: "status", wamid, status: status.status }),
        phoneNumberId,
        wamid,
        status,
      });
    }
  }
  return { kind: "events", events, ignored };
}
