import type { AccountStatus } from "../documents/account";
import type { WrittenDocument } from "../documents/common";
import type { MediaUploadDocument } from "../documents/media";
import { uploadObjectPath } from "../media/limits";
import { mayUseAccount, type Caller } from "./caller";
import { GatewayError } from "./errors";
import { createUploadRequest, parseRequest } from "./requests";
import { UNSENDABLE } from "./send";

/** An upload lives a day: its record's TTL and the bucket's lifecycle rule for `uploads/`. */
export const UPLOAD_LIFETIME_MS = 24 * 3_600_000;

export interface UploadDeps {
  /** The account, and the thread if it exists. */
  read(
    accountId: string,
    threadId: string,
  ): Promise<{
    account: { status: AccountStatus; memberUids: string[] } | undefined;
    thread: { ownerUid: string | null; coWriterUids: string[]; accountId: string } | undefined;
  }>;
  create(uploadId: string, upload: WrittenDocument<MediaUploadDocument>): Promise<void>;
  /** A V4 signed PUT of exactly this type and size to `path`, and the headers the PUT must send. */
  signPut(
    path: string,
    contentType: string,
    size: number,
    expiresAt: Date,
  ): Promise<{ url: string; headers: Record<string, string> }>;
  /** A fresh upload id (unguessable). */
  newId(): string;
  now(): Date;
  /** How long the signed PUT lives. */
  ttlSec: number;
}

export interface CreatedUpload {
  success: true;
  uploadId: string;
  url: string;
  expiresAt: string;
  headers: Record<string, string>;
}

/**
 * whatsappProxyCreateUpload: for a caller who may send in the thread (a member of its account
 * who owns or co-writes it, or any member while nobody owns it, or of a thread not yet there), a
 * short-lived signed PUT of exactly the declared type and size to `uploads/{uid}/{uploadId}`, and
 * the record a send checks it against. The kind's cap and content types are the request's schema.
 */
export async function handleCreateUpload(deps: UploadDeps, caller: Caller, data: unknown): Promise<CreatedUpload> {
  const req = parseRequest(createUploadRequest, data);
  const { account, thread } = await deps.read(req.accountId, req.threadId);
  if (!account) throw new GatewayError("not-found", `accountId: no account ${req.accountId}`);
  if (!mayUseAccount(caller, account))
    throw new GatewayError("permission-denied", "You may not use this account", "cross_tenant");
  if (UNSENDABLE.has(account.status)) {
    throw new GatewayError("failed-precondition", `accountId: the account is ${account.status.replace("_", " ")}`);
  }
  if (thread) {
    if (thread.accountId !== req.accountId)
      throw new GatewayError("invalid-argument", "threadId: the thread belongs to another account");
    const writes =
      thread.ownerUid === null || thread.ownerUid === caller.uid || thread.coWriterUids.includes(caller.uid);
    if (!writes) throw new GatewayError("permission-denied", "Only thread owner or co-writers can send messages");
  }
  const uploadId = deps.newId();
  const path = uploadObjectPath(caller.uid, uploadId);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + deps.ttlSec * 1000);
  await deps.create(uploadId, {
    uid: caller.uid,
    accountId: req.accountId,
    threadId: req.threadId,
    kind: req.kind,
    contentType: req.contentType,
    size: req.size,
    ...(req.fileName ? { fileName: req.fileName } : {}),
    ...(req.seconds ? { seconds: req.seconds } : {}),
    path,
    createdAt: now,
    expireAt: new Date(now.getTime() + UPLOAD_LIFETIME_MS),
  });
  const { url, headers } = await deps.signPut(path, req.contentType, req.size, expiresAt);
  return { success: true, uploadId, url, expiresAt: expiresAt.toISOString(), headers };
}
