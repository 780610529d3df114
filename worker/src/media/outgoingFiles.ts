import { Transform, type Readable } from "node:stream";
import type { OutboxMediaDocument } from "@wa-gateway/core/documents";
import { SendError, type OutgoingMedia } from "../transport/transport";
import type { ByteBudget } from "./byteBudget";
import type { MediaBucket } from "./mediaBucket";

/** Where sent files are read, and the worker's budget of media bytes in flight. */
export interface OutgoingFiles {
  bucket: Pick<MediaBucket, "read">;
  budget: ByteBudget;
}

/** Extra time a file gets to go out: two seconds per MiB on top of a text's timeout (a slow uplink). */
const MS_PER_MIB = 2_000;

/** A file's send timeout: a text's, plus time for its bytes. */
export const sendTimeoutFor = (textTimeoutMs: number, media: OutboxMediaDocument): number =>
  textTimeoutMs + Math.ceil(media.size / (1024 * 1024)) * MS_PER_MIB;

/** An outbox entry's file as the transport sends it: streamed from the media bucket on each try. */
export function outgoingMedia(media: OutboxMediaDocument, files: OutgoingFiles | null): OutgoingMedia {
  if (!files) throw new SendError("this worker has no media bucket: the file cannot be read", true);
  const { path, kind, mimetype, size, fileName, seconds } = media;
  return {
    kind,
    mimetype,
    size,
    ...(fileName ? { fileName } : {}),
    ...(seconds ? { seconds } : {}),
    open: () => atMost(files.bucket.read(path), size),
  };
}

/** The stream, failing once it passes `size` bytes: the object is never more than its entry says. */
function atMost(source: Readable, size: number): Readable {
  let seen = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > size ? new Error(`the file is larger than its ${size} bytes`) : null, chunk);
    },
  });
  source.on("error", (err) => limit.destroy(err));
  return source.pipe(limit);
}
