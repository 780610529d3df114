import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { paths, rollupDate } from "@wa-gateway/core";
import { type Rollup } from "@wa-gateway/core/longrun";
import { startFakeTelegram, type FakeTelegram } from "../../scripts/lib/fakeTelegram";
import { adminDb, resetFirestore } from "../support/emulator";
import { callAs, captureConsole, loadFunctions } from "../support/functions";
import { eventually } from "../support/worker";
import { exited, spawnWorker } from "../support/workerProcess";

const TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopqrstu";
const CHAT_ID = "-1001234567890";
const INTERVAL_SEC = 5;
const TICK_MS = 1000;

/**
 * End to end on the local parts: a worker process writes heartbeats, the watchdog function runs
 * (ticked every second instead of every minute, heartbeats every 5 s instead of 60 s), and
 * Telegram is a fake Bot API on 127.0.0.1 reached through node-telegram-bot-api.
 */
describe("watchdog → incident → Telegram, end to end", function () {
  this.timeout(180_000);
  let telegram: FakeTelegram;
  let worker: ChildProcess | undefined;
  let fns: ReturnType<typeof loadFunctions>;
  const logLines: string[] = [];

  const watchdog = async (scheduleTime = new Date()) => {
    const { error, lines } = await captureConsole(async () => {
      await fns.longrunWatchdog.run({ scheduleTime: scheduleTime.toISOString(), jobName: "test-watchdog" } as never);
    });
    logLines.push(...lines);
    if (error) throw error;
  };
  const incidents = async (type: string) =>
    (await adminDb().collection(paths.longrun.incidents).where("type", "==", type).get()).docs.map((d) => d.data());
  const lastHeartbeatMs = async () =>
    (
      (await adminDb().doc(paths.longrun.state).get()).get("lastHeartbeatAt") as FirebaseFirestore.Timestamp | undefined
    )?.toMillis();
  const startWorker = (id: string) => {
    worker = spawnWorker(id, { HEARTBEAT_LOCK_LEASE_SEC: "3", HEARTBEAT_LOCK_POLL_SEC: "1" });
  };

  before(async () => {
    telegram = await startFakeTelegram({ token: TOKEN });
    process.env.TELEGRAM_BOT_TOKEN = TOKEN;
    process.env.TELEGRAM_CHAT_ID = CHAT_ID;
    process.env.TELEGRAM_API_ROOT = telegram.apiRoot;
    fns = loadFunctions();
  });

  after(async () => {
    worker?.kill("SIGKILL");
    await telegram.stop();
    delete process.env.TELEGRAM_BOT_TOKEN;
    delete process.env.TELEGRAM_CHAT_ID;
  });

  it("a killed worker is alerted within the watchdog bound; its return resolves the incident with the downtime; the rollup shows the gap", async () => {
    await resetFirestore();
    const db = adminDb();
    await db.doc(paths.longrun.config).set({ heartbeatIntervalSec: INTERVAL_SEC, expectedAccounts: 0 });

    startWorker("wd-worker-1");
    await eventually(
      "heartbeats flowing",
      async () => (await db.collection(paths.longrun.heartbeats).count().get()).data().count >= 2,
      40_000,
    );
    await watchdog();
    assert.equal(telegram.messages.length, 0, "nothing to say while heartbeats flow");

    worker!.kill("SIGKILL");
    await exited(worker!);
    const lastBeat = (await lastHeartbeatMs())!;
    const alert = await eventually(
      "a Telegram alert",
      async () => {
        await watchdog();
        await new Promise((r) => setTimeout(r, TICK_MS));
        return telegram.messages.find((m) => m.text.includes("Heartbeats stopped"));
      },
      60_000,
    );
    const detectionSec = (alert.at - lastBeat) / 1000;
    // Two intervals of silence, plus one watchdog period, plus emulator round trips.
    const boundSec = 2 * INTERVAL_SEC + TICK_MS / 1000 + 3;
    assert.ok(detectionSec <= boundSec, `detected after ${detectionSec} s, bound ${boundSec} s`);
    assert.equal(alert.chatId, CHAT_ID);
    assert.equal(alert.parseMode, "HTML");
    assert.match(alert.text, /P2 ALERT<\/b> Heartbeats stopped/);
    assert.match(alert.text, /the last came from wd-worker-1/);
    assert.match(alert.text, /Action:/);

    const [open] = await incidents("missed_heartbeat");
    assert.equal(open!.status, "open");
    assert.equal(open!.severity, "P2");
    assert.equal(open!.tsStart.toMillis(), lastBeat);
    const DAY_MS = 86_400_000;
    assert.equal(open!.expireAt.toMillis() - open!.tsStart.toMillis(), 365 * DAY_MS, "incidents kept a year");
    const [beat] = (await db.collection(paths.longrun.heartbeats).limit(1).get()).docs;
    assert.equal(beat!.get("expireAt").toMillis() - beat!.get("ts").toMillis(), 90 * DAY_MS, "heartbeats kept 90 days");

    // Still down: further runs do not repeat the alert (once an hour at most).
    for (let i = 0; i < 3; i++) await watchdog();
    assert.equal(telegram.messages.filter((m) => m.text.includes("Heartbeats stopped")).length, 1);

    // Back after more than two intervals, so at least one bucket is missing for the rollup to see.
    await new Promise((r) => setTimeout(r, Math.max(0, lastBeat + (2 * INTERVAL_SEC + 1) * 1000 - Date.now())));
    startWorker("wd-worker-2");
    const resolution = await eventually(
      "a resolution message",
      async () => {
        await watchdog();
        await new Promise((r) => setTimeout(r, TICK_MS));
        return telegram.messages.find((m) => m.text.includes("RESOLVED"));
      },
      60_000,
    );
    const [resolved] = await incidents("missed_heartbeat");
    assert.equal(resolved!.status, "resolved");
    const downtimeSec = resolved!.mttrSec as number;
    assert.ok(downtimeSec >= 2 * INTERVAL_SEC && downtimeSec < 60, `downtime ${downtimeSec} s`);
    assert.equal(downtimeSec, Math.round((resolved!.tsEnd.toMillis() - resolved!.tsStart.toMillis()) / 1000));
    assert.match(resolution.text, /Downtime \d+s/);

    const rollup = await callAs<Rollup>(
      fns.whatsappAdminRunRollup as never,
      { date: rollupDate(new Date()) },
      { uid: "ops", admin: true },
    );
    assert.ok(rollup.gapCount >= 1);
    assert.ok(rollup.maxGap!.durationSec >= 2 * INTERVAL_SEC, `max gap ${rollup.maxGap!.durationSec} s`);
    assert.equal(rollup.maxGap!.planned, false);
    assert.equal(rollup.incidents.resolved, 1);
    assert.equal(rollup.incidents.mttr.meanSec, downtimeSec);
    const stored = (await db.doc(paths.longrun.rollup(rollupDate(new Date()))).get()).data()!;
    assert.equal(stored.gapCount, rollup.gapCount);

    worker!.kill("SIGTERM");
    await exited(worker!);
    assert.ok(!logLines.some((l) => l.includes(TOKEN)), "the bot token reached a log line");
  });
});
