import { createHash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Bucket } from "@google-cloud/storage";

/** A file grew past its kind's cap while it streamed: stored nothing. */
export class MediaTooLarge extends Error {
  constructor(readonly capBytes: number) {
    super(`the file is larger than its kind's cap of ${capBytes} bytes`);
    this.name = "MediaTooLarge";
  }
}

/** What was stored: its size and hex SHA-256, as counted while it streamed. */
export interface StoredFile {
  size: number;
  sha256: string;
}

/**
 * The media bucket, as the worker writes it: streams a file in (never whole in memory), counting
 * and hashing it on the way, and stops it at the cap.
 */
export class MediaBucket {
  private constructor(private readonly bucket: Bucket) {}

  /** The client library is loaded here, not at the worker's boot: a worker with media off never pays for it. */
  static async open(options: { projectId: string; bucket: string; apiEndpoint?: string }): Promise<MediaBucket> {
    const { Storage } = await import("@google-cloud/storage");
    const storage = new Storage({
      projectId: options.projectId,
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
    });
    return new MediaBucket(storage.bucket(options.bucket));
  }

  get name(): string {
    return this.bucket.name;
  }

  async save(path: string, contentType: string, source: Readable, capBytes: number): Promise<StoredFile> {
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > capBytes) return done(new MediaTooLarge(capBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const target = this.bucket.file(path).createWriteStream({ resumable: false, contentType, validation: false });
    await pipeline(source, meter, target);
    return { size, sha256: hash.digest("hex") };
  }

  /** The object's bytes, streamed. */
  read(path: string): Readable {
    return this.bucket.file(path).createReadStream({ validation: false });
  }

  /** Deletes every object under `prefix`, a page at a time; answers how many there were. */
  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.bucket.getFiles({ prefix, maxResults: 500, autoPaginate: false, pageToken });
      for (let i = 0; i < files.length; i += 20) {
        await Promise.all(files.slice(i, i + 20).map((file) => file.delete({ ignoreNotFound: true })));
      }
      deleted += files.length;
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
    return deleted;
  }

  async delete(path: string): Promise<void> {
    await this.bucket.file(path).delete({ ignoreNotFound: true });
  }
}
