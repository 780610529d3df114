import type { Firestore } from "firebase-admin/firestore";
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
): Promise<{ files: OutgoingFiles & { bucket: MediaBucket }; downloads: InboundDownloads } | null> {
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
  return { files, downloads };
}
