/**
 * The callables' contract: every request schema and every answer's shape, and which callable
 * takes which. It imports nothing but zod and core's media limits (plain data), so the typed
 * client (client/) ships this file as is: the server parses requests with the very schemas app
 * code is typed by.
 */
import { z } from "zod";
import { MEDIA_CAPS, MEDIA_KINDS, UPLOAD_CONTENT_TYPES } from "../media/limits";

/** Account ids: letters and digits in runs joined by single `-` or `_` (so `__` stays a separator). */
export const accountId = z
  .string()
  .max(64, "at most 64 characters")
  .regex(/^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$/, "letters and digits, joined by single '-' or '_'");

export const threadId = z
  .string()
  .min(1, "must not be empty")
  .max(128, "at most 128 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '_' or '-'");

export const clientMessageId = z
  .string()
  .min(1, "must not be empty")
  .max(128, "at most 128 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "letters, digits, '.', '_', ':' or '-'");

export const MAX_TEXT_CHARS = 4096;

const PHONE_JID = /^\+?(\d{7,15})(?:@s\.whatsapp\.net)?$/;
/** WhatsApp's hidden-number id (LID) of a contact who wrote first without showing a number. */
const LID_JID = /^(\d{1,20})@lid$/;

/**
 * A person's chat: `+40712345678@s.whatsapp.net`, `40712345678@s.whatsapp.net` or bare digits,
 * normalised to `40712345678@s.whatsapp.net`; or a `…@lid` id, for answering a contact whose
 * thread began with their message (send.ts refuses it for a new thread). Group chats are not
 * supported (yet): sending to a group needs per-group consent and pacing rules this gateway does
 * not have.
 */
export const personJid = z
  .string()
  .max(64, "at most 64 characters")
  .transform((raw, ctx) => {
    const lid = LID_JID.exec(raw.trim());
    if (lid) return `${lid[1]}@lid`;
    const m = PHONE_JID.exec(raw.trim());
    if (!m) {
      ctx.addIssue({
        code: "custom",
        message: raw.endsWith("@g.us")
          ? "group chats are not supported"
          : "a phone number of 7 to 15 digits, optionally with + and @s.whatsapp.net (or the @lid id of a contact who wrote first)",
      });
      return z.NEVER;
    }
    return `${m[1]}@s.whatsapp.net`;
  });

/** An upload's id, as whatsappProxyCreateUpload answered it. */
export const uploadId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "an upload id from whatsappProxyCreateUpload");
export const MAX_CAPTION_CHARS = 1024;

/** A file to send: an upload of the caller's, and its caption. */
export const mediaToSend = z.strictObject({
  uploadId,
  caption: z
    .string()
    .refine((t) => [...t].length <= MAX_CAPTION_CHARS, `at most ${MAX_CAPTION_CHARS} characters`)
    .optional(),
});

export const sendRequest = z
  .strictObject({
    threadId,
    accountId,
    toJid: personJid,
    /** The message's text; with `media`, leave it out (the caption is `media.caption`). */
    text: z
      .string()
      .refine((t) => t.trim().length > 0, "must not be empty")
      .refine((t) => [...t].length <= MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`)
      .optional(),
    media: mediaToSend.optional(),
    clientMessageId,
  })
  .superRefine((r, ctx) => {
    if (r.text === undefined && !r.media) ctx.addIssue({ code: "custom", path: ["text"], message: "expected string" });
    if (r.text !== undefined && r.media)
      ctx.addIssue({ code: "custom", path: ["text"], message: "with media, send the caption as media.caption" });
  });
export type SendRequest = z.infer<typeof sendRequest>;

const anOf = (kind: string) => `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;

/** A file name as a document shows it: no path, no control characters. */
const fileName = z
  .string()
  .min(1, "must not be empty")
  .max(240, "at most 240 characters")
  .refine(
    (n) => ![...n].some((c) => c === "/" || c === "\\" || c < " " || c === "\u007f"),
    "a file name, without '/', '\\' or control characters",
  );

/** whatsappProxyCreateUpload: where an app may PUT one file of this kind, type and size, to send in the thread. */
export const createUploadRequest = z
  .strictObject({
    accountId,
    threadId,
    kind: z.enum(MEDIA_KINDS),
    contentType: z.string().max(100, "at most 100 characters"),
    size: z.number().int("a whole number of bytes").positive("at least 1 byte"),
    fileName: fileName.optional(),
    /** A voice note's, audio's or video's length, shown before it is played. */
    seconds: z.number().int().positive().max(86_400).optional(),
  })
  .superRefine((r, ctx) => {
    const types = UPLOAD_CONTENT_TYPES[r.kind];
    if (!types.includes(r.contentType)) {
      ctx.addIssue({
        code: "custom",
        path: ["contentType"],
        message: `${anOf(r.kind)} is one of: ${types.join(", ")}`,
      });
    }
    if (r.size > MEDIA_CAPS[r.kind]) {
      ctx.addIssue({
        code: "custom",
        path: ["size"],
        message: `${anOf(r.kind)} is at most ${MEDIA_CAPS[r.kind]} bytes`,
      });
    }
  });
export type CreateUploadRequest = z.infer<typeof createUploadRequest>;
export const createUploadAnswer = z.object({
  success: z.literal(true),
  uploadId: z.string(),
  /** A V4 signed PUT, valid until `expiresAt`: send exactly `headers` and exactly `size` bytes. */
  url: z.string(),
  expiresAt: z.string(),
  headers: z.record(z.string(), z.string()),
});

/** An approved template of a Cloud API account: `name` and language as Meta lists them. */
const templateName = z.string().regex(/^[a-z0-9_]{1,512}$/, "a template name: lower-case letters, digits and '_'");
const templateLanguage = z
  .string()
  .regex(/^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$/, "a template language code such as en_US or de");
/** A body parameter's text ({{1}}, {{2}}, …): Meta refuses newlines, tabs and more than 4 spaces in a row. */
const templateParameter = z
  .string()
  .min(1, "must not be empty")
  .max(1024, "at most 1024 characters")
  .refine((p) => !/[\n\t]| {5,}/.test(p), "no newline, tab or more than 4 spaces in a row");

/** An approved template to send: the send's and the OUT probe's (monitoring config). */
export const templateToSend = z.strictObject({
  name: templateName,
  language: templateLanguage,
  /** The body's parameters in order: {{1}} first. As many as the approved template has. */
  parameters: z.array(templateParameter).max(60, "at most 60 parameters").default([]),
});
export type TemplateToSend = z.infer<typeof templateToSend>;

export const sendTemplateRequest = z.strictObject({
  threadId,
  accountId,
  toJid: personJid,
  template: templateToSend,
  clientMessageId,
});
export type SendTemplateRequest = z.infer<typeof sendTemplateRequest>;

/** How an account reaches WhatsApp: a linked companion device (Baileys), or Meta's Cloud API. */
export const ACCOUNT_TRANSPORTS = ["baileys", "cloud_api"] as const;
export type AccountTransport = (typeof ACCOUNT_TRANSPORTS)[number];

/**
 * A Cloud API number: Meta's phone-number id and business account id, and the Secret Manager secret holding its access
 * token (a name, never the token: the worker reads the token at run time).
 */
export const cloudApiNumber = z.object({
  phoneNumberId: z.string().regex(/^\d{5,20}$/, "Meta's phone-number id: 5 to 20 digits"),
  /** The WhatsApp Business Account (WABA) the number belongs to: its approved templates are listed there. */
  businessAccountId: z.string().regex(/^\d{5,20}$/, "Meta's WhatsApp Business Account id: 5 to 20 digits"),
  tokenSecret: z
    .string()
    .regex(
      /^projects\/[a-z0-9-]+\/secrets\/[A-Za-z0-9_-]{1,255}\/versions\/(latest|\d+)$/,
      "a Secret Manager version: projects/P/secrets/S/versions/latest",
    ),
});
export type CloudApiNumber = z.infer<typeof cloudApiNumber>;

export const getAccountsRequest = z.strictObject({ includeRemoved: z.boolean().optional() }).optional();

export const addAccountRequest = z
  .strictObject({
    label: z.string().trim().min(1, "must not be empty").max(100, "at most 100 characters").optional(),
    phoneNumber: z
      .string()
      .regex(/^\+?\d{7,15}$/, "7 to 15 digits, optionally with +")
      .transform((p) => p.replace(/^\+/, ""))
      .optional(),
    memberUids: z.array(z.string().min(1).max(128)).max(100, "at most 100 members").optional(),
    /** A Cloud API number instead of a linked device (no QR, no pairing code). */
    cloudApi: z.strictObject(cloudApiNumber.shape).optional(),
  })
  .refine((r) => !(r.cloudApi && r.phoneNumber), {
    message: "phoneNumber is for pairing-code login; a Cloud API account has none",
    path: ["phoneNumber"],
  });
export type AddAccountRequest = z.infer<typeof addAccountRequest>;

export const accountRequest = z.strictObject({ accountId });

const uid = z.string().min(1, "must not be empty").max(128, "at most 128 characters");

export const setAccountMembersRequest = z.strictObject({
  accountId,
  memberUids: z.array(uid).max(100, "at most 100 members"),
});
export type SetAccountMembersRequest = z.infer<typeof setAccountMembersRequest>;

export const claimThreadRequest = z.strictObject({ threadId });
export type ClaimThreadRequest = z.infer<typeof claimThreadRequest>;

export const setThreadMembersRequest = z
  .strictObject({
    threadId,
    ownerUid: uid.optional(),
    coWriterUids: z.array(uid).max(20, "at most 20 co-writers").optional(),
  })
  .refine((r) => r.ownerUid !== undefined || r.coWriterUids !== undefined, "give ownerUid, coWriterUids or both");
export type SetThreadMembersRequest = z.infer<typeof setThreadMembersRequest>;
export type AccountRequest = z.infer<typeof accountRequest>;

/** An account as a client sees it: status and what it needs to show a QR, never session material. */
export const clientAccount = z.object({
  accountId: z.string(),
  label: z.string().nullable(),
  status: z.string(),
  transport: z.enum(ACCOUNT_TRANSPORTS),
  phoneNumber: z.string().nullable(),
  qr: z.string().nullable(),
  /** ISO 8601. */
  qrExpiresAt: z.string().nullable(),
  pairingCode: z.string().nullable(),
  lastDisconnect: z.object({ code: z.number(), at: z.string() }).nullable(),
  updatedAt: z.string().nullable(),
});

export const sendAnswer = z.object({ success: z.literal(true), requestId: z.string(), duplicate: z.boolean() });
export const getAccountsAnswer = z.object({ success: z.literal(true), accounts: z.array(clientAccount) });
export const accountAnswer = z.object({ success: z.literal(true), accountId: z.string() });
export const removeAccountAnswer = accountAnswer.extend({ alreadyRemoved: z.boolean() });
export const accountMembersAnswer = accountAnswer.extend({
  memberUids: z.array(z.string()),
  threadsChanged: z.number().int().nonnegative(),
});
export const threadMembersAnswer = z.object({
  success: z.literal(true),
  threadId: z.string(),
  ownerUid: z.string().nullable(),
  coWriterUids: z.array(z.string()),
});

/** A message's file, by its thread and message document ids (whatsappProxyGetMediaUrl). */
export const getMediaUrlRequest = z.strictObject({
  threadId,
  messageId: z
    .string()
    .min(1, "must not be empty")
    .max(200, "at most 200 characters")
    .regex(/^[A-Za-z0-9._:~%-]+$/, "a thread message's document id"),
});
export type GetMediaUrlRequest = z.infer<typeof getMediaUrlRequest>;
export const mediaUrlAnswer = z.object({
  success: z.literal(true),
  /** A V4 signed GET of the file, valid until `expiresAt` (ISO 8601). */
  url: z.string(),
  expiresAt: z.string(),
  mimetype: z.string(),
  size: z.number(),
  fileName: z.string().optional(),
});

/** Every callable an app calls, with its request and answer. (The admin monitoring ones are for operators.) */
export const callables = {
  whatsappProxySend: { request: sendRequest, answer: sendAnswer },
  whatsappProxySendTemplate: { request: sendTemplateRequest, answer: sendAnswer },
  whatsappProxyGetAccounts: { request: getAccountsRequest, answer: getAccountsAnswer },
  whatsappProxyAddAccount: { request: addAccountRequest, answer: accountAnswer },
  whatsappProxyRegenerateQr: { request: accountRequest, answer: accountAnswer },
  whatsappProxyRemoveAccount: { request: accountRequest, answer: removeAccountAnswer },
  whatsappProxySetAccountMembers: { request: setAccountMembersRequest, answer: accountMembersAnswer },
  whatsappProxyClaimThread: { request: claimThreadRequest, answer: threadMembersAnswer },
  whatsappProxySetThreadMembers: { request: setThreadMembersRequest, answer: threadMembersAnswer },
  whatsappProxyGetMediaUrl: { request: getMediaUrlRequest, answer: mediaUrlAnswer },
  whatsappProxyCreateUpload: { request: createUploadRequest, answer: createUploadAnswer },
} as const;

export type CallableName = keyof typeof callables;
/** What app code passes (before the server's normalisation, e.g. of phone numbers). */
export type RequestOf<N extends CallableName> = z.input<(typeof callables)[N]["request"]>;
export type AnswerOf<N extends CallableName> = z.infer<(typeof callables)[N]["answer"]>;
