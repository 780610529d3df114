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
