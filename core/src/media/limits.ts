/**
 * What media the gateway carries, in both directions and on both transports: the kinds, each
 * kind's size cap (the Cloud API's, applied to linked accounts too) and the content types an app
 * may upload as each kind.
 */

/** Media kinds, as thread messages name them (`voice`: an audio sent as a voice note). */
export const MEDIA_KINDS = ["image", "video", "audio", "voice", "document", "sticker"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

const MB = 1024 * 1024;

/** Largest file per kind, in bytes (Meta's Cloud API limits; a sticker's animated cap). */
export const MEDIA_CAPS: Readonly<Record<MediaKind, number>> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  voice: 16 * MB,
  document: 100 * MB,
  sticker: 500 * 1024,
};

/**
 * Content types an app may upload, per kind (the Cloud API's supported types). A voice note is
 * ogg/opus only: that is what WhatsApp plays as one; other audio goes as `audio`.
 */
export const UPLOAD_CONTENT_TYPES: Readonly<Record<MediaKind, readonly string[]>> = {
  image: ["image/jpeg", "image/png"],
  video: ["video/mp4", "video/3gpp"],
  audio: ["audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"],
  voice: ["audio/ogg; codecs=opus", "audio/ogg"],
  document: [
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ],
  sticker: ["image/webp"],
};

export const isMediaKind = (kind: string | undefined): kind is MediaKind =>
  (MEDIA_KINDS as readonly string[]).includes(kind ?? "");

/** Whether a file of `size` bytes may be carried as `kind`. */
export const withinCap = (kind: MediaKind, size: number): boolean => size <= MEDIA_CAPS[kind];

/** Where media bytes live in the bucket: one object per message. */
export const mediaObjectPath = (accountId: string, threadId: string, messageId: string): string =>
  `media/${objectSegment(accountId)}/${objectSegment(threadId)}/${objectSegment(messageId)}`;

/** Every file of an account (what its removal deletes). */
export const mediaAccountPrefix = (accountId: string): string => `media/${objectSegment(accountId)}/`;

/** Where an app's upload lands before it is sent (deleted by the bucket's lifecycle rule after a day). */
export const uploadObjectPath = (uid: string, uploadId: string): string =>
  `uploads/${objectSegment(uid)}/${objectSegment(uploadId)}`;

/** A path segment that cannot climb or split: ids are ours or checked, this makes sure. */
function objectSegment(value: string): string {
  if (!value || value.includes("/") || value === "." || value === "..") {
    throw new RangeError(`${JSON.stringify(value)} is not a valid object path segment`);
  }
  return value;
}
