import { Timestamp, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { MEDIA_CAPS, mediaObjectPath } from "@wa-gateway/core/media";
import type { MediaDownloadDocument } from "@wa-gateway/core/documents";
import { mediaDownloads, threadMessages } from "@wa-gateway/data";
import type { Logger } from "../logging/logger";
import { withinMs } from "../retry";
import type { AccountSocket } from "../transport/transport";
import type { ByteBudget } from "./byteBudget";
import { MediaTooLarge, type MediaBucket } from "./mediaBucket";

/** Downloads read per round; the rest follow in the next round. */
const PAGE = 20;
/** Longest one file may take to stream in (100 MB at a slow 200 KB/s is about 8 minutes). */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
/** Longest a download may take to start, a request to the sender's phone to upload it again included. */
const START_TIMEOUT_MS = 2 * 60_000;
/** Retries wait at most this long, however many attempts and whatever MEDIA_RETRY_BASE_MS. */
const MAX_RETRY_WAIT_MS = 6 * 3_600_000;

/** True once written; false when a precondition failed (someone else wrote first). */
async function settled(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (grpcStatusOf(err) === GrpcStatus.FAILED_PRECONDITION) return false;
    throw err;
  }
}

const withoutUrls = (text: string) => text.replace(/https?:\/\/\S+/g, "[url]");

export interface InboundDownloadsOptions {
  db: Firestore;
  bucket: MediaBucket;
  budget: ByteBudget;
  logger: Logger;
  /** Tries per file (each may ask the sender's phone to upload it again) before it is `failed`. */
  maxAttempts: number;
  /** The first retry waits this long, doubling each time. */
  retryBaseMs: number;
}

/** What became of one file: stored, to try again later, or given up (`failed`, or over its cap). */
export type DownloadOutcome = "stored" | "retry" | "failed" | "too_large";

interface AccountDownloads {
  socket: AccountSocket;
  running: Promise<void> | null;
  /** Asked again while a round ran: one more round follows it. */
  again: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Inbound files, fetched by the account's holder while its socket is open, one at a time per
 * account and within the worker's byte budget: streamed from WhatsApp into the media bucket at
 * `media/{accountId}/{threadId}/{messageId}`, hashed on the way and checked against the hash the
 * sender declared. A failed fetch is tried again with backoff; each download waits in Firestore
 * (`mediaDownloads`), so a restart or a move to another worker picks it up.
 */
export class InboundDownloads {
  private readonly accounts = new Map<string, AccountDownloads>();
  /** Downloads being fetched now, by document id. */
  private readonly fetching = new Set<string>();

  constructor(private readonly o: InboundDownloadsOptions) {}

  /** The account's socket opened: its due downloads run. */
  resume(accountId: string, socket: AccountSocket): void {
    this.pause(accountId);
    this.accounts.set(accountId, { socket, running: null, again: false });
    this.kick(accountId);
  }

  /** The socket closed: downloads wait for the next open. */
  pause(accountId: string): void {
    const account = this.accounts.get(accountId);
    if (account) clearTimeout(account.timer);
    this.accounts.delete(accountId);
  }

  /** A new download was stored (or one is due): a round runs, after the one running now. */
  kick(accountId: string): void {
    const account = this.accounts.get(accountId);
    if (!account) return;
    if (account.running) {
      account.again = true;
      return;
    }
    account.running = this.round(accountId, account).finally(() => {
      account.running = null;
      if (account.again && this.accounts.get(accountId) === account) {
        account.again = false;
        this.kick(accountId);
      }
    });
  }

  private async round(accountId: string, account: AccountDownloads): Promise<void> {
    try {
      const due = await mediaDownloads.due(this.o.db, accountId, new Date(), PAGE).get();
      for (const snap of due.docs) {
        if (this.accounts.get(accountId) !== account) return;
        // One fetch per file at a time: a round of an earlier socket may still be on it.
        if (this.fetching.has(snap.id)) continue;
        this.fetching.add(snap.id);
        try {
          await this.fetch(accountId, account.socket, snap);
        } finally {
          this.fetching.delete(snap.id);
        }
      }
      if (due.size === PAGE) account.again = true;
      else await this.wakeForNext(accountId, account);
    } catch (err) {
      this.o.logger.warn({ accountId, err: withoutUrls((err as Error).message) }, "media_downloads_round_failed");
      if (this.accounts.get(accountId) !== account) return; // paused meanwhile: the next open resumes
      clearTimeout(account.timer);
      account.timer = setTimeout(() => this.kick(accountId), this.o.retryBaseMs);
    }
  }

  /** A timer for the account's next download that waits on backoff. */
  private async wakeForNext(accountId: string, account: AccountDownloads): Promise<void> {
    const next = await mediaDownloads.next(this.o.db, accountId).get();
    const at = next.docs[0]?.data().nextAttemptAt.toMillis();
    clearTimeout(account.timer);
    if (at !== undefined && this.accounts.get(accountId) === account) {
      account.timer = setTimeout(() => this.kick(accountId), Math.max(0, at - Date.now()));
    }
  }

  /** Fetches one file into the bucket and records the outcome on its message. */
  async fetch(
    accountId: string,
    socket: AccountSocket,
    snap: QueryDocumentSnapshot<MediaDownloadDocument>,
  ): Promise<DownloadOutcome> {
    const download = snap.data();
    const { threadId, messageDocId, kind, mimetype } = download;
    const messageRef = threadMessages.doc(this.o.db, threadId, messageDocId);
    const message = (await messageRef.get()).data();
    const declared = message?.media;
    if (!message || !declared) {
      await snap.ref.delete(); // its message is gone
      return "failed";
    }
    const cap = MEDIA_CAPS[kind];
    const path = mediaObjectPath(accountId, threadId, messageDocId);
    const log = { accountId, threadId, messageId: messageDocId, kind };
    let outcome: DownloadOutcome;
    let problem: string | null = null;
    let stored: { size: number; sha256: string } | undefined;
    try {
      stored = await this.o.budget.use(Math.min(declared.size || cap, cap), async () => {
        const bytes = await withinMs(
          socket.downloadMedia(download.ref),
          START_TIMEOUT_MS,
          () => new Error("the download did not start"),
        );
        // A CDN that stops sending mid-file must not hold the account's downloads (and the budget) for ever.
        const stalled = setTimeout(() => bytes.destroy(new Error("the download stalled")), DOWNLOAD_TIMEOUT_MS);
        try {
          return await this.o.bucket.save(path, mimetype, bytes, cap);
        } finally {
          clearTimeout(stalled);
        }
      });
      if (declared.sha256 && stored.sha256 !== declared.sha256) {
        // Not the file the sender named (a corrupt or substituted download): never shown.
        await this.o.bucket.delete(path);
        problem = "the file's SHA-256 is not the one its message declared";
        outcome = "failed";
      } else outcome = "stored";
    } catch (err) {
      // Baileys names the file's URL (its direct path) in its errors: not for the logs.
      problem = withoutUrls((err as Error).message);
      outcome = err instanceof MediaTooLarge ? "too_large" : "retry";
      if (outcome === "too_large") await this.o.bucket.delete(path);
    }
    const attempts = download.attempts + 1;
    if (outcome === "retry" && attempts >= this.o.maxAttempts) outcome = "failed";
    const now = Timestamp.now();
    // Written only if nobody changed the download since it was read (another worker's run of it).
    const unchanged = { lastUpdateTime: snap.updateTime };
    if (outcome === "retry") {
      const waitMs = Math.min(this.o.retryBaseMs * 2 ** (attempts - 1), MAX_RETRY_WAIT_MS);
      const recorded = await settled(
        snap.ref.update(
          { attempts, lastError: problem, nextAttemptAt: Timestamp.fromMillis(now.toMillis() + waitMs) },
          unchanged,
        ),
      );
      if (recorded) this.o.logger.warn({ ...log, attempts, err: problem }, "media_download_retry");
      return outcome;
    }
    const batch = this.o.db.batch();
    batch.update(messageRef, {
      mediaStatus: outcome,
      media:
        stored && outcome === "stored" ? { ...declared, path, size: stored.size, sha256: stored.sha256 } : declared,
      updatedAt: now,
    });
    batch.delete(snap.ref, unchanged);
    if (!(await settled(batch.commit()))) return outcome; // another run of it recorded its own outcome
    if (outcome === "stored") this.o.logger.info({ ...log, size: stored!.size }, "media_stored");
    else this.o.logger.warn({ ...log, outcome, attempts, err: problem }, "media_download_given_up");
    return outcome;
  }
}
