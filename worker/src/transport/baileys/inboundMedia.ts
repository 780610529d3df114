import type { Readable } from "node:stream";
import type { WAMessage, WAMessageKey, WASocket, proto } from "@whiskeysockets/baileys";
import type { InboundMedia } from "../transport";
import type { Baileys } from "./module";

/** WhatsApp's media fields of a message, whichever kind. */
type MediaContent = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage &
  proto.Message.IStickerMessage;

const MEDIA_FIELDS = ["imageMessage", "videoMessage", "audioMessage", "documentMessage", "stickerMessage"] as const;
type MediaField = (typeof MEDIA_FIELDS)[number];
/** Baileys' media type per field (its key derivation and download path). */
const MEDIA_TYPE: Record<MediaField, "image" | "video" | "audio" | "document" | "sticker"> = {
  imageMessage: "image",
  videoMessage: "video",
  audioMessage: "audio",
  documentMessage: "document",
  stickerMessage: "sticker",
};

/** What the worker keeps to fetch a file later: the message's key and its media content alone. */
interface MediaRef {
  key: Pick<WAMessageKey, "id" | "remoteJid" | "fromMe" | "participant">;
  field: MediaField;
  /** `proto.Message` holding only the media field, base64 (it carries the media key). */
  message: string;
}

const hex = (bytes: Uint8Array | null | undefined) =>
  bytes && bytes.length ? Buffer.from(bytes).toString("hex") : null;
/** A protobuf number (a Long for 64-bit fields) as a number. */
const whole = (n: unknown) => (n === null || n === undefined ? undefined : Number(n));

/** The file a (normalised) message carries, as its sender declared it; undefined for no file. */
export function inboundMediaOf(B: Baileys, content: proto.IMessage, key: WAMessageKey): InboundMedia | undefined {
  const field = MEDIA_FIELDS.find((f) => content[f]);
  if (!field) return undefined;
  const media = content[field] as MediaContent;
  // A direct path is what WhatsApp's media host serves; a bare URL would be one the sender chose.
  if (!media.mediaKey || !media.directPath) return undefined;
  const kind = field === "audioMessage" && media.ptt ? "voice" : MEDIA_TYPE[field];
  const ref: MediaRef = {
    key: { id: key.id, remoteJid: key.remoteJid, fromMe: key.fromMe, participant: key.participant },
    field,
    message: Buffer.from(B.proto.Message.encode({ [field]: media }).finish()).toString("base64"),
  };
  const seconds = whole(media.seconds);
  const width = whole(media.width);
  const height = whole(media.height);
  return {
    kind,
    mimetype: media.mimetype ?? "application/octet-stream",
    size: whole(media.fileLength) ?? 0,
    sha256: hex(media.fileSha256),
    ...(media.fileName ? { fileName: media.fileName } : {}),
    ...(seconds ? { seconds } : {}),
    ...(width ? { width } : {}),
    ...(height ? { height } : {}),
    ref: Buffer.from(JSON.stringify(ref)).toString("base64"),
  };
}

/** WhatsApp's media hosts (mmg.whatsapp.net, media-*.cdn.whatsapp.net, …). */
export const WHATSAPP_MEDIA_HOSTS = /^([a-z0-9-]+\.)*whatsapp\.net$/;

const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
};

/** HTTP statuses of an expired CDN file: the sender's phone is asked to upload it again. */
const REUPLOAD_STATUSES = new Set([404, 410]);

/**
 * The file `ref` names, decrypted, as a stream. A download WhatsApp's CDN answers 404 or 410 (the
 * file expired there) asks the sender's phone to upload it again (`updateMediaMessage`) and
 * downloads once more: rc14's `downloadMediaMessage` would, but it reads `error.status` where the
 * Boom error has `output.statusCode`, so it never does (Baileys #2767).
 */
export async function downloadMedia(
  B: Baileys,
  socket: WASocket,
  ref: string,
  /** Hosts a file may be fetched from: WhatsApp's own (a test edge's loopback host in tests). */
  mediaHosts: RegExp,
): Promise<Readable> {
  const { key, field, message } = JSON.parse(Buffer.from(ref, "base64").toString("utf8")) as MediaRef;
  const content = B.proto.Message.decode(Buffer.from(message, "base64"));
  const media = content[field] as MediaContent & { mediaKey: Uint8Array; url?: null };
  // The host the file came from, if it is WhatsApp's: the URL is the sender's word, and the worker
  // fetches from nowhere else. (updateMediaMessage rebuilds the URL on the socket's last media_conn
  // host, WhatsApp's default when this socket never uploaded: the host chosen here stays.)
  const named = media.url ? hostOf(media.url) : undefined;
  const host = named && mediaHosts.test(named) ? named : B.DEF_MEDIA_HOST;
  const download = () => B.downloadContentFromMessage(media, MEDIA_TYPE[field], { host });
  try {
    return await download();
  } catch (err) {
    const status = (err as { output?: { statusCode?: number } }).output?.statusCode;
    if (!status || !REUPLOAD_STATUSES.has(status)) throw err;
  }
  // updateMediaMessage writes the new direct path into the content it is given.
  await socket.updateMediaMessage({ key, message: content } as WAMessage);
  return download();
}
