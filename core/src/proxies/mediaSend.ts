import type { MediaUploadDocument, MessageMediaDocument, OutboxMediaDocument } from "../documents/media";
import { mediaObjectPath } from "../media/limits";
import type { Caller } from "./caller";
import { GatewayError } from "./errors";
import type { SendRequest } from "./requests";

/** An upload as the send reads it. */
export type UploadView = Omit<MediaUploadDocument, "createdAt" | "expireAt"> & { expiresAtMs: number };

/** The reads and the one copy a send with media needs: the upload's record, and the bucket. */
export interface MediaSendStore {
  upload(uploadId: string): Promise<UploadView | undefined>;
  /** The object's size and content type, or undefined when nothing is there. */
  stat(path: string): Promise<{ size: number; contentType: string } | undefined>;
  /** Copies an object (idempotent: the same source and target give the same object). */
  copy(from: string, to: string): Promise<void>;
}

/**
 * Checks a send's `media` and moves its bytes where the message keeps them: the upload must be
 * the caller's, made for this thread, not expired, and the object in the bucket exactly what was
 * signed (size and type). The file is copied to `media/{accountId}/{threadId}/{requestId}.{uploadId}` before
 * the send's transaction (the upload itself is deleted a day on by the bucket's lifecycle rule),
 * so the outbox entry never names bytes that may vanish; a send refused after the copy leaves an
 * object that media retention deletes.
 */
export async function attachMedia(
  store: MediaSendStore,
  caller: Caller,
  req: SendRequest & { media: NonNullable<SendRequest["media"]> },
  requestId: string,
  now: Date,
): Promise<OutboxMediaDocument> {
  const upload = await store.upload(req.media.uploadId);
  if (!upload || upload.expiresAtMs <= now.getTime()) {
    throw new GatewayError("not-found", "media.uploadId: no such upload, or it expired (uploads live a day)");
  }
  if (upload.uid !== caller.uid) {
    throw new GatewayError("permission-denied", "media.uploadId: not your upload", "cross_tenant");
  }
  if (upload.accountId !== req.accountId || upload.threadId !== req.threadId) {
    throw new GatewayError("invalid-argument", "media.uploadId: the upload was made for another account or thread");
  }
  const stored = await store.stat(upload.path);
  if (!stored) {
    throw new GatewayError(
      "failed-precondition",
      "media.uploadId: nothing uploaded yet; PUT the file to the upload URL first",
    );
  }
  if (stored.size !== upload.size || stored.contentType !== upload.contentType) {
    throw new GatewayError("failed-precondition", "media.uploadId: the uploaded file is not the one that was signed");
  }
  // Named by the request and the upload: two racing calls of one request with different uploads
  // copy to two objects, and the entry that wins names its own (never bytes another call wrote).
  const path = mediaObjectPath(req.accountId, req.threadId, `${requestId}.${req.media.uploadId}`);
  await store.copy(upload.path, path);
  const { kind, contentType: mimetype, size, fileName, seconds } = upload;
  return { path, kind, mimetype, size, ...(fileName ? { fileName } : {}), ...(seconds ? { seconds } : {}) };
}

/** A sent file as its thread message shows it (its hash is not computed on send). */
export const messageMediaOf = ({
  path,
  mimetype,
  size,
  fileName,
  seconds,
}: OutboxMediaDocument): MessageMediaDocument => ({
  path,
  mimetype,
  size,
  sha256: null,
  ...(fileName ? { fileName } : {}),
  ...(seconds ? { seconds } : {}),
});
