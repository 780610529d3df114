import type { Firestore } from "firebase-admin/firestore";
import { mediaAccountPrefix } from "@wa-gateway/core/media";
import { mediaDownloads } from "@wa-gateway/data";
import type { WorkerConfig } from "../config";
import type { Logger } from "../logging/logger";
import { ByteBudget } from "./byteBudget";
import { InboundDownloads } from "./inboundDownloads";
import { MediaBucket } from "./mediaBucket";
import type { OutgoingFiles } from "./outgoingFiles";

/**
 * The worker's media parts: one bucket and one budget of bytes in flight for files both ways, the
 * inbound downloads over them. Null on the Firestore emulator without STORAGE_EMULATOR_HOST: a
 * local worker never reaches the real Cloud Storage (its files are then neither fetched nor sent).
 */
export async function mediaParts(
  config: WorkerConfig,
  db: Firestore,
  logger: Logger,
): Promise<{
  files: OutgoingFiles & { bucket: MediaBucket };
  downloads: InboundDownloads;
  deleteAccountFiles: (accountId: string) => Promise<number>;
} | null> {
  const { media } = config;
  if (config.firestoreEmulatorHost && !media.apiEndpoint) {
    logger.info({ reason: "the Firestore emulator without STORAGE_EMULATOR_HOST" }, "media_off");
    return null;
  }
  const files = {
    bucket: await MediaBucket.open({
      projectId: config.projectId,
      bucket: media.bucket,
      apiEndpoint: media.apiEndpoint,
    }),
    budget: new ByteBudget(media.budgetBytes),
  };
  const downloads = new InboundDownloads({
    db,
    ...files,
    logger,
    maxAttempts: media.maxAttempts,
    retryBaseMs: media.retryBaseMs,
  });
  /** A removed account's files, and its downloads still pending (they hold media keys). */
  const deleteAccountFiles = async (accountId: string): Promise<number> => {
    for (;;) {
      const pending = await mediaDownloads.ofAccount(db, accountId, 500).get();
      if (pending.empty) break;
      const batch = db.batch();
      for (const doc of pending.docs) batch.delete(doc.ref);
      await batch.commit();
    }
    return files.bucket.deletePrefix(mediaAccountPrefix(accountId));
  };
  return { files, downloads, deleteAccountFiles };
}
