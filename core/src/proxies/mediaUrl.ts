import type { MediaStatus, MessageMediaDocument } from "../documents/media";
import type { Caller } from "./caller";
import { GatewayError } from "./errors";
import { getMediaUrlRequest, parseRequest } from "./requests";
import { mayReadThread, type ThreadReaders } from "./threadAccess";

/** What a media URL is decided on: the thread, its account's members, and the message's file. */
export interface MediaUrlView {
  thread: ThreadReaders & { accountId: string };
  account: { memberUids: string[] } | undefined;
  /** undefined: no such message in the thread. */
  message: { media: MessageMediaDocument | null; mediaStatus: MediaStatus | null; deleted: boolean } | undefined;
}

export interface MediaUrlDeps {
  /** The thread (undefined: none), its account and the message, read together. */
  read(threadId: string, messageId: string): Promise<MediaUrlView | undefined>;
  /** A V4 signed GET of the object at `path`, valid until `expiresAt`. */
  sign(path: string, expiresAt: Date): Promise<string>;
  now(): Date;
  /** How long a URL lives. */
  ttlSec: number;
}

export interface MediaUrl {
  success: true;
  url: string;
  expiresAt: string;
  mimetype: string;
  size: number;
  fileName?: string;
}

/** One answer for "no such thread" and "not yours": an outsider learns nothing by trying ids. */
const NOT_READABLE = "threadId: no thread you may read";

/**
 * whatsappProxyGetMediaUrl: a short-lived signed URL to a message's stored file, for whoever may
 * read its thread under the rules (`mayReadThread`): the one door to media bytes, which
 * storage.rules keep from every client.
 */
export async function handleGetMediaUrl(deps: MediaUrlDeps, caller: Caller, data: unknown): Promise<MediaUrl> {
  const { threadId, messageId } = parseRequest(getMediaUrlRequest, data);
  const view = await deps.read(threadId, messageId);
  if (!view || !mayReadThread(caller, view.thread, view.account)) {
    throw new GatewayError("permission-denied", NOT_READABLE);
  }
  const { message } = view;
  if (!message) throw new GatewayError("not-found", `messageId: no message ${messageId} in this thread`);
  if (!message.media) throw new GatewayError("failed-precondition", "messageId: the message has no file");
  // Deleted for everyone by its sender: its file is no more to be shown than its text.
  if (message.deleted) throw new GatewayError("failed-precondition", "messageId: the message was deleted");
  if (message.mediaStatus !== "stored" || !message.media.path) {
    throw new GatewayError("failed-precondition", `messageId: the file is ${message.mediaStatus ?? "not stored"}`);
  }
  const expiresAt = new Date(deps.now().getTime() + deps.ttlSec * 1000);
  const { path, mimetype, size, fileName } = message.media;
  return {
    success: true,
    url: await deps.sign(path, expiresAt),
    expiresAt: expiresAt.toISOString(),
    mimetype,
    size,
    ...(fileName ? { fileName } : {}),
  };
}
