import { z } from "zod";
import { MEDIA_KINDS } from "../media/limits";
import { timestamp } from "./common";

/**
 * What became of a message's bytes: `pending` (being fetched), `stored` (in Cloud Storage at
 * `media.path`), `failed` (could not be fetched, or not the file the message named),
 * `too_large` (over its kind's cap: recorded, not fetched).
 */
export const MEDIA_STATUSES = ["pending", "stored", "failed", "too_large"] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

/**
 * A thread message's media, as members read it. The bytes are reached through
 * whatsappProxyGetMediaUrl only; the media key and WhatsApp's direct path never come here.
 */
export const messageMediaDocument = z.object({
  /** The object in the media bucket; null until stored. */
  path: z.string().nullable(),
  mimetype: z.string(),
  /** Bytes: as stored, or as the sender declared until then. */
  size: z.number().int().nonnegative(),
  /** Hex SHA-256 of the bytes, as the sender declared it (checked against what was stored). */
  sha256: z.string().nullable(),
  fileName: z.string().optional(),
  seconds: z.number().int().nonnegative().optional(),
  width: z.number().int().nonnegative().optional(),
  height: z.number().int().nonnegative().optional(),
});
export type MessageMediaDocument = z.infer<typeof messageMediaDocument>;

/**
 * `mediaDownloads/{accountId}__{threadId}__{messageDocId}`: an inbound message's bytes still to fetch, the
 * worker's alone (it holds the media key: no client reads it). Created with the message, deleted
 * once the bytes are stored or given up.
 */
export const mediaDownloadDocument = z.object({
  accountId: z.string(),
  threadId: z.string(),
  messageDocId: z.string(),
  kind: z.enum(MEDIA_KINDS),
  mimetype: z.string(),
  /** The transport's own reference to the file (Baileys: the key and the media message, base64). */
  ref: z.string(),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: timestamp,
  lastError: z.string().nullable(),
  createdAt: timestamp,
});
export type MediaDownloadDocument = z.infer<typeof mediaDownloadDocument>;

/**
 * The file an outbox entry sends, where the worker reads it: no media key and no WhatsApp path
 * (senders read their own outbox entries). `caption` is the entry's `text`.
 */
export const outboxMediaDocument = z.object({
  path: z.string(),
  kind: z.enum(MEDIA_KINDS),
  mimetype: z.string(),
  size: z.number().int().positive(),
  fileName: z.string().optional(),
  seconds: z.number().int().positive().optional(),
});
export type OutboxMediaDocument = z.infer<typeof outboxMediaDocument>;

/**
 * `mediaUploads/{uploadId}`: what whatsappProxyCreateUpload signed a PUT for, so a send can check
 * the object is the caller's and is what was signed. Server-only; TTL a day after creation (the
 * bucket's lifecycle rule deletes the bytes then too).
 */
export const mediaUploadDocument = z.object({
  uid: z.string(),
  accountId: z.string(),
  threadId: z.string(),
  kind: z.enum(MEDIA_KINDS),
  contentType: z.string(),
  size: z.number().int().positive(),
  fileName: z.string().optional(),
  seconds: z.number().int().positive().optional(),
  /** `uploads/{uid}/{uploadId}` in the media bucket. */
  path: z.string(),
  createdAt: timestamp,
  expireAt: timestamp,
});
export type MediaUploadDocument = z.infer<typeof mediaUploadDocument>;

/**
 * `sentMedia/{accountId}__{providerMessageId}`: a sent file's whole WhatsApp message (Baileys: the
 * encoded proto, with its media key), for a contact's phone that asks for the message again.
 * Server-only; TTL `expireAt` (as long as a resend is served).
 */
export const sentMediaDocument = z.object({
  accountId: z.string(),
  message: z.string(),
  createdAt: timestamp,
  expireAt: timestamp,
});
export type SentMediaDocument = z.infer<typeof sentMediaDocument>;
