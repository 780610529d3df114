import { z } from "zod";

/**
 * The parts of Meta's webhook payload the gateway relies on. Everything else Meta sends is kept
 * (loose objects) and passed on as it came, so a field Meta adds tomorrow is not lost.
 *
 * {
 *   "object": "whatsapp_business_account",
 *   "entry": [{ "id": "<WABA id>", "changes": [{ "field": "messages", "value": {
 *     "metadata": { "phone_number_id": "…", "display_phone_number": "…" },
 *     "contacts": [{ "wa_id": "…", "profile": { "name": "…" } }],
 *     "messages": [{ "id": "wamid…", "from": "…", "timestamp": "<unix s>", "type": "text", "text": { "body": "…" } }],
 *     "statuses": [{ "id": "wamid…", "status": "sent|delivered|read|failed", "timestamp": "…", "errors": [ … ] }]
 *   } }] }]
 * }
 */
export const webhookPayload = z.object({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});

const unixSeconds = z.string().regex(/^\d+$/, "expected unix seconds");

export const cloudContact = z.looseObject({
  wa_id: z.string().min(1),
  profile: z.looseObject({ name: z.string() }).optional(),
});
export type CloudContact = z.infer<typeof cloudContact>;

export const cloudMessage = z.looseObject({
  id: z.string().min(1),
  from: z.string().min(1),
  timestamp: unixSeconds,
  type: z.string().min(1),
});
export type CloudMessage = z.infer<typeof cloudMessage>;

export const cloudStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: unixSeconds,
  recipient_id: z.string().optional(),
});
export type CloudStatus = z.infer<typeof cloudStatus>;

/** What the send was given as `biz_opaque_callback_data` (our providerMessageId), when it was. */
export const callbackDataOf = (status: CloudStatus): string | null =>
  typeof status.biz_opaque_callback_data === "string" && status.biz_opaque_callback_data !== ""
    ? status.biz_opaque_callback_data
    : null;

/** The value of a `messages` change: what one phone number received or learned of its sends. */
export const messagesChange = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().min(1) }),
  contacts: z.array(cloudContact).optional(),
  messages: z.array(cloudMessage).optional(),
  statuses: z.array(cloudStatus).optional(),
});
