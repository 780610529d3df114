/**
 * Media as a contact's phone handles it: it encrypts a file with a fresh media key (Baileys' own
 * `encryptedStream`, WhatsApp's scheme), uploads it to the media host and sends the message that
 * names it; it downloads what it receives and checks it as a phone does (the encrypted file's
 * SHA-256, the MAC, the plain file's SHA-256) before it shows a byte; and it uploads a file again
 * when the receiver asks (a media retry), because the CDN dropped it.
 */
import { createHash, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import type { BinaryNode, proto as Proto } from "@whiskeysockets/baileys";
import type { Baileys } from "../../../worker/src/transport/baileys/module.js";
import type { FakeMediaHost } from "./mediaHost.js";

export type MediaKind = "image" | "video" | "audio" | "document" | "sticker";

/** A file the contact's phone sends. `ptt`: an audio sent as a voice note. */
export interface PhoneMedia {
  kind: MediaKind;
  bytes: Buffer;
  mimetype: string;
  fileName?: string;
  caption?: string;
  ptt?: boolean;
  seconds?: number;
  width?: number;
  height?: number;
  /** A faulty sender: the message names a SHA-256 that is not the file's. */
  wrongSha256?: boolean;
}

/** Media the contact received, decrypted and checked. */
export interface ReceivedMedia {
  kind: MediaKind;
  mimetype: string;
  bytes: Buffer;
  fileName?: string;
  caption?: string;
  ptt: boolean;
  seconds?: number;
}

/** What the phone keeps of a file it sent, to upload it again on request. */
export interface SentFile {
  mediaKey: Buffer;
  encrypted: Buffer;
  directPath: string;
}

type MediaFields = Proto.Message.IImageMessage &
  Proto.Message.IAudioMessage &
  Proto.Message.IDocumentMessage &
  Proto.Message.IVideoMessage;

const FIELD: Record<MediaKind, keyof Proto.IMessage> = {
  image: "imageMessage",
  video: "videoMessage",
  audio: "audioMessage",
  document: "documentMessage",
  sticker: "stickerMessage",
};

/** Encrypts and uploads `media`; the message to send, and what the phone keeps of the file. */
export async function uploadFromPhone(
  B: Baileys,
  host: FakeMediaHost,
  media: PhoneMedia,
): Promise<{ message: Proto.IMessage; file: SentFile }> {
  const encryptedFile = await B.encryptedStream(media.bytes, media.kind);
  const encrypted = await readFile(encryptedFile.encFilePath);
  await rm(encryptedFile.encFilePath, { force: true });
  const directPath = host.put(encrypted);
  const fields: MediaFields = {
    url: host.urlOf(directPath),
    directPath,
    mediaKey: encryptedFile.mediaKey,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    fileEncSha256: encryptedFile.fileEncSha256,
    fileSha256: media.wrongSha256 ? randomBytes(32) : encryptedFile.fileSha256,
    fileLength: encryptedFile.fileLength,
    mimetype: media.mimetype,
    ...(media.caption !== undefined && media.kind !== "audio" ? { caption: media.caption } : {}),
    ...(media.kind === "document" ? { fileName: media.fileName ?? "file", title: media.fileName ?? "file" } : {}),
    ...(media.kind === "audio" ? { ptt: media.ptt === true } : {}),
    ...(media.seconds !== undefined ? { seconds: media.seconds } : {}),
    ...(media.width !== undefined ? { width: media.width, height: media.height } : {}),
  };
  return {
    message: { [FIELD[media.kind]]: fields },
    file: { mediaKey: Buffer.from(encryptedFile.mediaKey), encrypted, directPath },
  };
}

/** The media in a message the contact received, downloaded, checked and decrypted; undefined for no media. */
export async function receivedMediaOf(
  B: Baileys,
  host: FakeMediaHost,
  message: Proto.IMessage,
): Promise<ReceivedMedia | undefined> {
  const kind = (Object.keys(FIELD) as MediaKind[]).find((k) => message[FIELD[k]]);
  if (!kind) return undefined;
  const m = message[FIELD[kind]] as MediaFields;
  const encrypted = m.directPath ? host.get(m.directPath) : undefined;
  if (!encrypted || !m.mediaKey) throw new Error(`${kind} message names no file on the media host`);
  const hash = (data: Buffer) => createHash("sha256").update(data).digest();
  if (!hash(encrypted).equals(Buffer.from(m.fileEncSha256 ?? []))) throw new Error("fileEncSha256 does not match");
  const { iv, cipherKey, macKey } = await B.getMediaKeys(m.mediaKey, kind);
  if (!iv || !cipherKey || !macKey) throw new Error("no media keys");
  const body = encrypted.subarray(0, -10);
  const mac = createHmac("sha256", macKey).update(iv).update(body).digest().subarray(0, 10);
  if (!timingSafeEqual(mac, encrypted.subarray(-10))) throw new Error("the media MAC does not match");
  const decipher = createDecipheriv("aes-256-cbc", cipherKey, iv);
  const bytes = Buffer.concat([decipher.update(body), decipher.final()]);
  if (!hash(bytes).equals(Buffer.from(m.fileSha256 ?? []))) throw new Error("fileSha256 does not match");
  return {
    kind,
    mimetype: m.mimetype ?? "",
    bytes,
    ptt: m.ptt === true,
    ...(m.fileName ? { fileName: m.fileName } : {}),
    ...(m.caption ? { caption: m.caption } : {}),
    ...(m.seconds ? { seconds: m.seconds } : {}),
  };
}

/**
 * The phone's answer to a media retry request (`<receipt type="server-error">`): the file uploaded
 * again, announced in `<notification type="mediaretry">`, its new direct path encrypted under the
 * media key's retry key (what Baileys' `decryptMediaRetryData` opens).
 */
export function mediaRetryNotification(
  B: Baileys,
  host: FakeMediaHost,
  file: SentFile,
  request: BinaryNode,
  from: string,
): BinaryNode {
  const messageId = request.attrs.id!;
  const rmr = B.getBinaryNodeChild(request, "rmr");
  file.directPath = host.put(file.encrypted);
  const plaintext = B.proto.MediaRetryNotification.encode({
    stanzaId: messageId,
    directPath: file.directPath,
    result: B.proto.MediaRetryNotification.ResultType.SUCCESS,
  }).finish();
  const retryKey = B.hkdf(file.mediaKey, 32, { info: "WhatsApp Media Retry Notification" });
  const iv = randomBytes(12);
  const ciphertext = B.aesEncryptGCM(Buffer.from(plaintext), retryKey, iv, Buffer.from(messageId));
  return {
    tag: "notification",
    attrs: { id: messageId, type: "mediaretry", from, t: `${Math.floor(Date.now() / 1000)}` },
    content: [
      { tag: "rmr", attrs: { ...(rmr?.attrs ?? {}) } },
      {
        tag: "encrypt",
        attrs: {},
        content: [
          { tag: "enc_p", attrs: {}, content: ciphertext },
          { tag: "enc_iv", attrs: {}, content: iv },
        ],
      },
    ],
  };
}
