import { getApps, initializeApp } from "firebase-admin/app";
import { getStorage } from "firebase-admin/storage";
import { MEDIA_BUCKET } from "../config";

/**
 * The media bucket, as the functions reach it: V4 signed URLs only (clients never read or write
 * it directly: storage.rules deny all). In production the runtime's service account signs through
 * the IAM Credentials API (docs/deploying.md grants it); locally a key file in
 * GOOGLE_APPLICATION_CREDENTIALS signs.
 */
export function mediaBucket() {
  const app = getApps().find((a) => a.name === "[DEFAULT]") ?? initializeApp();
  const name = MEDIA_BUCKET.value() || `${process.env.GCLOUD_PROJECT}.firebasestorage.app`;
  return getStorage(app).bucket(name);
}

/** A V4 signed GET of the object at `path`, until `expiresAt`. */
export async function signedReadUrl(path: string, expiresAt: Date): Promise<string> {
  const [url] = await mediaBucket().file(path).getSignedUrl({ version: "v4", action: "read", expires: expiresAt });
  return url;
}

/**
 * A V4 signed PUT of exactly `size` bytes of `contentType` to `path`, until `expiresAt`: both are
 * signed headers, so Cloud Storage refuses any other type or length. The headers the PUT must send.
 */
export async function signedPutUrl(
  path: string,
  contentType: string,
  size: number,
  expiresAt: Date,
): Promise<{ url: string; headers: Record<string, string> }> {
  const [url] = await mediaBucket()
    .file(path)
    .getSignedUrl({
      version: "v4",
      action: "write",
      expires: expiresAt,
      contentType,
      extensionHeaders: { "content-length": String(size) },
    });
  return { url, headers: { "content-type": contentType } };
}

/** The object's size and content type, or undefined when there is none. */
export async function statObject(path: string): Promise<{ size: number; contentType: string } | undefined> {
  const [exists] = await mediaBucket().file(path).exists();
  if (!exists) return undefined;
  const [metadata] = await mediaBucket().file(path).getMetadata();
  return { size: Number(metadata.size), contentType: metadata.contentType ?? "" };
}

export async function copyObject(from: string, to: string): Promise<void> {
  const bucket = mediaBucket();
  await bucket.file(from).copy(bucket.file(to));
}
