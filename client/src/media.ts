import type { AnswerOf } from "../../core/src/proxies/contract.js";
import type { MediaKind } from "../../core/src/media/limits.js";
import type { GatewayCallables } from "./index.js";

/** The callables these helpers use (what connectGateway returns has them). */
type GatewayCallablesLike = Pick<
  GatewayCallables,
  "whatsappProxyCreateUpload" | "whatsappProxySend" | "whatsappProxyGetMediaUrl"
>;

export { MEDIA_CAPS, MEDIA_KINDS, UPLOAD_CONTENT_TYPES, type MediaKind } from "../../core/src/media/limits.js";

/** A file to send: its bytes, what it is, and its caption. */
export interface FileToSend {
  bytes: Blob | Uint8Array;
  kind: MediaKind;
  /** One of UPLOAD_CONTENT_TYPES[kind]; a voice note is "audio/ogg; codecs=opus". */
  contentType: string;
  fileName?: string;
  /** A voice note's, audio's or video's length, shown before it plays. */
  seconds?: number;
  caption?: string;
}

/** The upload's PUT was refused (HTTP status): expired, or not the size and type declared. */
export class UploadRefused extends Error {
  constructor(readonly status: number) {
    super(`the media bucket refused the upload (HTTP ${status}): expired, or not the declared size and type`);
    this.name = "UploadRefused";
  }
}

const sizeOf = (bytes: Blob | Uint8Array) => (bytes instanceof Uint8Array ? bytes.byteLength : bytes.size);

/**
 * Sends a file in a thread: creates an upload (the callable checks the kind's cap and type and
 * that the caller may send here), PUTs the bytes to its signed URL, then sends with
 * `media: { uploadId, caption }` under `clientMessageId` (sent once, however often this is retried).
 */
export async function uploadAndSend(
  gateway: GatewayCallablesLike,
  request: { accountId: string; threadId: string; toJid: string; clientMessageId: string; file: FileToSend },
  options: { fetch?: typeof fetch } = {},
): Promise<AnswerOf<"whatsappProxySend">> {
  const { accountId, threadId, toJid, clientMessageId, file } = request;
  const { bytes, caption, ...declared } = file;
  const upload = await gateway.whatsappProxyCreateUpload({ accountId, threadId, size: sizeOf(bytes), ...declared });
  const put = await (options.fetch ?? fetch)(upload.url, {
    method: "PUT",
    headers: upload.headers,
    body: bytes as RequestInit["body"],
  });
  if (!put.ok) throw new UploadRefused(put.status);
  return gateway.whatsappProxySend({
    accountId,
    threadId,
    toJid,
    clientMessageId,
    media: { uploadId: upload.uploadId, ...(caption ? { caption } : {}) },
  });
}

/**
 * A short-lived URL to a message's file (`mediaStatus` "stored"), for members who may read its
 * thread: for an `<img src>`, a download link or a player. Ask again when it expires (`expiresAt`).
 */
export function mediaUrl(
  gateway: GatewayCallablesLike,
  message: { threadId: string; id: string },
): Promise<AnswerOf<"whatsappProxyGetMediaUrl">> {
  return gateway.whatsappProxyGetMediaUrl({ threadId: message.threadId, messageId: message.id });
}
