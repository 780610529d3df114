import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { handleSend, type MediaSendStore, type UploadView } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { FakeCloudStorage } from "../../test/support/fakeCloudStorage";
import { FakeWhatsApp, type FakeContact } from "../../test/support/fakeWhatsApp/edge";
import { EDGE_CA_FILE } from "../../test/support/fakeWhatsApp/mediaHost";
import { seedAccount } from "../../test/support/fixtures";
import { phoneFor, startFakePhone } from "../lib/fakePhone";
import { freePort, httpAnswers, waitUntil } from "../lib/ports";
import { spawnWorker } from "../lib/workerProcess";

const ACCOUNTS = 50;
const VIDEOS = 10;
const VIDEO_BYTES = 16 * 1024 * 1024;
const PHOTO_BYTES = 1024 * 1024;
const PHOTOS = 5;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** The worker process's RSS and its TMPDIR's size, sampled every 50 ms; the peaks since `reset`. */
function sampler(pid: number, tmp: string) {
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  const tmpBytes = () =>
    readdirSync(tmp).reduce((n, f) => {
      try {
        return n + statSync(join(tmp, f)).size;
      } catch {
        return n; // removed between the listing and the stat
      }
    }, 0);
  let peak = { rss: 0, tmp: 0 };
  const timer = setInterval(() => {
    peak = { rss: Math.max(peak.rss, rss()), tmp: Math.max(peak.tmp, tmpBytes()) };
  }, 50);
  return {
    now: rss,
    reset: () => (peak = { rss: rss(), tmp: tmpBytes() }),
    peak: () => peak,
    stop: () => clearInterval(timer),
  };
}

/** Uploads as the send callable finds them, over the Storage fake: what an app's PUT left there. */
function uploads(storage: FakeCloudStorage, bucket: string) {
  const views = new Map<string, UploadView>();
  const store: MediaSendStore = {
    upload: async (id) => views.get(id),
    stat: async (path) => {
      const o = storage.object(bucket, path);
      return o && { size: o.data.length, contentType: o.contentType };
    },
    copy: async (from, to) => {
      const o = storage.object(bucket, from)!;
      storage.put(bucket, to, o.data, o.contentType);
    },
  };
  const put = (accountId: string, threadId: string, kind: "video" | "image", contentType: string, data: Buffer) => {
    const uploadId = randomBytes(16).toString("base64url");
    const path = `uploads/bench/${uploadId}`;
    storage.put(bucket, path, data, contentType);
    views.set(uploadId, {
      uid: "bench",
      accountId,
      threadId,
      kind,
      contentType,
      size: data.length,
      path,
      expiresAtMs: Date.now() + 86_400_000,
    });
    return uploadId;
  };
  return { store, put };
}

/**
 * A worker process holding 50 linked sockets against the fake edge, its TMPDIR a directory of
 * its own: its peak RSS and temp-disk use while it sends 10 × 16 MiB videos at once (10 accounts,
 * each to its own contact, who decrypts them) and while it receives 10 (streamed into the Storage
 * fake), and the time from a 1 MiB photo's send to the contact holding its bytes.
 */
async function mediaFigures(db: Firestore, edge: FakeWhatsApp, storage: FakeCloudStorage): Promise<string[]> {
  const project = process.env.GCLOUD_PROJECT!;
  const bucket = `${project}.firebasestorage.app`;
  const tmp = mkdtempSync(join(tmpdir(), "wa-bench-media-tmp-"));
  const contacts: FakeContact[] = await Promise.all(
    Array.from({ length: VIDEOS }, (_, i) => edge.addContact(`4917100000${i}`)),
  );
  const stopPhone = startFakePhone(db, edge, 0, () => undefined);
  const port = await freePort();
  const child = spawnWorker({ host: process.env.FIRESTORE_EMULATOR_HOST!, projectId: project }, "bench-media", {
    WA_TRANSPORT: "baileys",
    WA_WEBSOCKET_URL: edge.url,
    PORT: String(port),
    HEARTBEATS: "off",
    LOG_LEVEL: "error",
    SEND_PACING: "off",
    NEW_CONTACT_BUDGET: "off",
    MAX_ACCOUNTS_PER_WORKER: String(ACCOUNTS),
    STORAGE_EMULATOR_HOST: storage.url,
    NODE_EXTRA_CA_CERTS: EDGE_CA_FILE,
    TMPDIR: tmp,
  });
  const sample = sampler(child.pid!, tmp);
  try {
    for (let i = 0; i < ACCOUNTS; i++)
      await seedAccount(db, `media-${i}`, { status: "pending_qr", memberUids: ["bench"] });
    await waitUntil("worker /healthz", () => httpAnswers(`http://127.0.0.1:${port}/healthz`), { timeoutMs: 30_000 });
    const active = async () =>
      ((await (await fetch(`http://127.0.0.1:${port}/metrics-json`)).json()) as { activeAccounts: number })
        .activeAccounts;
    await waitUntil("50 sockets linked", async () => (await active()) === ACCOUNTS, { timeoutMs: 300_000 });
    await new Promise((r) => setTimeout(r, 5000)); // the logins' pre-key uploads settle
    const idle = sample.now();

    const { store, put } = uploads(storage, bucket);
    const deps = {
      store: firestoreSendStore(db),
      media: store,
      now: () => new Date(),
      rateLimit: { maxSends: 1e9, windowSec: 60 },
    };
    const send = (i: number, uploadId: string, clientMessageId: string) =>
      handleSend(
        deps,
        { uid: "bench", admin: false },
        {
          threadId: `bench-media-${i}`,
          accountId: `media-${i}`,
          toJid: contacts[i]!.pnJid,
          media: { uploadId },
          clientMessageId,
        },
      );

    // Sending: 10 accounts, one 16 MiB video each, at once.
    const videoIds = contacts.map((_, i) =>
      put(`media-${i}`, `bench-media-${i}`, "video", "video/mp4", randomBytes(VIDEO_BYTES)),
    );
    sample.reset();
    let started = Date.now();
    await Promise.all(videoIds.map((id, i) => send(i, id, `video-${i}`)));
    await Promise.all(contacts.map((c) => c.nextMessage((m) => m.media?.kind === "video", 300_000)));
    const sending = { ...sample.peak(), seconds: (Date.now() - started) / 1000 };

    // Receiving: each contact sends its account a 16 MiB video.
    sample.reset();
    started = Date.now();
    const received = await Promise.all(
      contacts.map((c, i) =>
        edge.sendMediaFromContact(c, phoneFor(`media-${i}`), {
          kind: "video",
          bytes: randomBytes(VIDEO_BYTES),
          mimetype: "video/mp4",
        }),
      ),
    );
    await waitUntil(
      "10 videos stored",
      async () => {
        const stored = await db
          .collectionGroup("messages")
          .where("direction", "==", "in")
          .where("mediaStatus", "==", "stored")
          .get();
        return stored.docs.filter((d) => received.some((r) => r.id === d.get("providerMessageId"))).length === VIDEOS;
      },
      { timeoutMs: 300_000 },
    );
    const receiving = { ...sample.peak(), seconds: (Date.now() - started) / 1000 };

    // A 1 MiB photo: the send accepted to the contact holding its bytes, one after another.
    const latencies: number[] = [];
    for (let n = 0; n < PHOTOS; n++) {
      const photo = randomBytes(PHOTO_BYTES);
      const uploadId = put("media-0", "bench-media-0", "image", "image/jpeg", photo);
      const t0 = Date.now();
      await send(0, uploadId, `photo-${n}`);
      await contacts[0]!.nextMessage((m) => m.media?.kind === "image" && m.media.bytes.equals(photo), 60_000);
      latencies.push(Date.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    return [
      `  a worker process holding ${ACCOUNTS} linked sockets: ${mib(idle)} MiB RSS idle`,
      `  sending ${VIDEOS} × 16 MiB videos at once (${VIDEOS} accounts, Storage → Baileys → edge → contacts decrypt): ` +
        `peak ${mib(sending.rss)} MiB RSS (+${mib(sending.rss - idle)}), peak TMPDIR ${mib(sending.tmp)} MiB, ${sending.seconds.toFixed(1)} s`,
      `  receiving ${VIDEOS} × 16 MiB videos at once (edge → Baileys → Storage, SHA-256 checked): ` +
        `peak ${mib(receiving.rss)} MiB RSS (+${mib(receiving.rss - idle)}), peak TMPDIR ${mib(receiving.tmp)} MiB, ${receiving.seconds.toFixed(1)} s`,
      `  a 1 MiB photo, send accepted to the contact holding its bytes (${PHOTOS} in a row): ` +
        `median ${latencies[Math.floor(PHOTOS / 2)]} ms, max ${latencies.at(-1)} ms`,
    ];
  } finally {
    sample.stop();
    stopPhone();
    child.kill("SIGTERM");
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `npm run bench -- media`. */
export async function benchMedia(): Promise<void> {
  const db = getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }, "bench-media"));
  await fetch(
    `http://${process.env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${process.env.GCLOUD_PROJECT}/databases/(default)/documents`,
    { method: "DELETE" },
  );
  const edge = await FakeWhatsApp.start();
  const storage = await FakeCloudStorage.start();
  try {
    const lines = await mediaFigures(db, edge, storage);
    console.log(`\nmedia: Baileys against the fake edge's media host, the Cloud Storage fake\n${lines.join("\n")}`);
  } finally {
    await edge.close();
    await storage.close();
  }
}
