import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { startFakeTelegram, type FakeTelegram } from "../../scripts/lib/fakeTelegram";
import { adminDb, resetFirestore } from "../support/emulator";
import { captureConsole, loadFreshFunctionsInstance } from "../support/functions";

const TOKEN = "987654321:AAAnotherFakeToken_abcdefghijklmnopqrs";
const CHAT_ID = "-1009876543210";

/** Heartbeats stopped `agoSec` ago, after a day of them: the watchdog has something to say. */
async function silentFor(agoSec: number) {
  const now = Date.now();
  await adminDb()
    .doc(paths.longrun.state)
    .set({
      lastHeartbeatAt: Timestamp.fromMillis(now - agoSec * 1000),
      lastHeartbeatInstanceId: "w-gone",
      streakStartedAt: Timestamp.fromMillis(now - 86_400_000),
      firstHeartbeatAt: Timestamp.fromMillis(now - 86_400_000),
    });
}

describe("alerting: Telegram delivery rules", function () {
  this.timeout(60_000);
  let telegram: FakeTelegram;
  let fns: ReturnType<typeof loadFreshFunctionsInstance>;

  /** One watchdog run per time given, all at once (a scheduler firing twice), logs captured. */
  const watchdog = async (...scheduleTimes: Date[]) => {
    const out = await captureConsole(async () => {
      await Promise.all(
        scheduleTimes.map((t) => fns.longrunWatchdog.run({ scheduleTime: t.toISOString(), jobName: "test" } as never)),
      );
    });
    if (out.error) throw out.error;
    return out.lines;
  };
  const configure = (env: Record<string, string>) => Object.assign(process.env, env);

  before(async () => {
    telegram = await startFakeTelegram({ token: TOKEN });
  });
  after(async () => {
    await telegram.stop();
    delete process.env.TELEGRAM_BOT_TOKEN;
    delete process.env.TELEGRAM_CHAT_ID;
  });
  beforeEach(async () => {
    // Each test is a new Functions instance: its Telegram client paces from nothing.
    fns = loadFreshFunctionsInstance();
    await resetFirestore();
    await adminDb().doc(paths.longrun.config).set({ expectedAccounts: 0 });
    telegram.messages.length = 0;
    telegram.requests.length = 0;
  });

  it("with Telegram unconfigured, incidents still open and one log line says alerts are off", async () => {
    configure({ TELEGRAM_BOT_TOKEN: "", TELEGRAM_CHAT_ID: "", TELEGRAM_API_ROOT: telegram.apiRoot });
    await silentFor(600);
    const first = await watchdog(new Date());
    const second = await watchdog(new Date(Date.now() + 1000));
    const offLines = [...first, ...second].filter((l) => l.includes("telegram_alerts_off"));
    assert.equal(offLines.length, 1);
    const open = await adminDb().collection(paths.longrun.incidents).where("type", "==", "missed_heartbeat").get();
    assert.equal(open.docs[0]?.get("status"), "open");
    assert.equal(telegram.requests.length, 0);
  });

  it("a scheduler that fires twice for the same minute sends once", async () => {
    configure({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_ROOT: telegram.apiRoot });
    await silentFor(600);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    await watchdog(minute, minute);
    await watchdog(minute);
    assert.equal(telegram.messages.length, 1);
    const missed = await adminDb().collection(paths.longrun.incidents).where("type", "==", "missed_heartbeat").get();
    assert.equal(missed.size, 1);
  });

  it("a 429 from Telegram is retried after retry_after, and the alert arrives", async () => {
    configure({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_ROOT: telegram.apiRoot });
    await silentFor(600);
    telegram.rateLimitNext(1, 1);
    await watchdog(new Date());
    assert.deepEqual(
      telegram.requests.map((r) => r.status),
      [429, 200],
    );
    const waitedMs = telegram.requests[1]!.at - telegram.requests[0]!.at;
    assert.ok(waitedMs >= 950, `retried after ${waitedMs} ms, retry_after was 1 s`);
    assert.equal(telegram.messages.length, 1);
  });

  it("an alert Telegram refuses is tried again next run; the token appears in no log line", async () => {
    configure({ TELEGRAM_BOT_TOKEN: `${TOKEN}x`, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_ROOT: telegram.apiRoot });
    await silentFor(600);
    const lines = await watchdog(new Date());
    assert.ok(lines.some((l) => l.includes("alerts_failed") && l.includes("401")));
    assert.ok(!lines.some((l) => l.includes(TOKEN)), "token leaked into a log line");
    const [incident] = (
      await adminDb().collection(paths.longrun.incidents).where("type", "==", "missed_heartbeat").get()
    ).docs;
    assert.equal(incident!.get("lastNotifiedAt"), null, "the failed alert stays due");

    configure({ TELEGRAM_BOT_TOKEN: TOKEN });
    await watchdog(new Date(Date.now() + 60_000));
    assert.equal(telegram.messages.length, 1);
  });

  it("a resolution Telegram refuses is delivered by the next run", async () => {
    configure({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_ROOT: telegram.apiRoot });
    await silentFor(600);
    await watchdog(new Date());
    assert.equal(telegram.messages.length, 1);

    await silentFor(5); // heartbeats are back
    configure({ TELEGRAM_BOT_TOKEN: `${TOKEN}x` });
    await watchdog(new Date(Date.now() + 60_000));
    assert.equal(telegram.messages.length, 1, "refused");
    configure({ TELEGRAM_BOT_TOKEN: TOKEN });
    await watchdog(new Date(Date.now() + 120_000));
    assert.equal(telegram.messages.length, 2);
    assert.match(telegram.messages[1]!.text, /RESOLVED<\/b> Heartbeats stopped/);
    await watchdog(new Date(Date.now() + 180_000));
    assert.equal(telegram.messages.length, 2, "delivered once");
  });

  it("several alerts of one run go in one message, most severe first", async () => {
    configure({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_ROOT: telegram.apiRoot });
    await adminDb().doc(paths.account("acc-logged-out")).set({ status: "logged_out", reconnectCount: 1, owner: null });
    await adminDb()
      .doc(paths.longrun.config)
      .set({ expectedAccounts: 1, alertThresholds: { queueDepth: 1 } });
    for (const id of ["q1", "q2"]) {
      await adminDb().doc(paths.outboxEntry(id)).set({ status: "queued", createdAt: Timestamp.now() });
    }
    await watchdog(new Date());
    assert.equal(telegram.messages.length, 1);
    const text = telegram.messages[0]!.text;
    assert.match(text, /WhatsApp account logged out/);
    assert.match(text, /No WhatsApp account connected/);
    assert.match(text, /Outbox queue too deep/);
    assert.ok(text.indexOf("P1") < text.indexOf("P3"));
  });

  it("a run too long for one message is split, and the messages to one chat are paced", async () => {
    configure({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT_ID, TELEGRAM_API_ROOT: telegram.apiRoot });
    const batch = adminDb().batch();
    for (let i = 0; i < 25; i++) {
      batch.set(adminDb().doc(paths.account(`logged-out-${i}`)), {
        status: "logged_out",
        reconnectCount: 0,
        owner: null,
      });
    }
    await batch.commit();
    await watchdog(new Date());
    assert.ok(telegram.messages.length >= 2, `${telegram.messages.length} message(s)`);
    for (const m of telegram.messages) assert.ok(m.text.length <= 4096);
    assert.equal(
      telegram.messages
        .map((m) => m.text)
        .join("")
        .split("WhatsApp account logged out").length - 1,
      25,
    );
    // The pace spaces the requests as they leave; the fake sees them arrive, and on a loaded
    // machine the first can arrive a few hundred ms late: the slack is for that one arrival.
    const span = telegram.messages.at(-1)!.at - telegram.messages[0]!.at;
    const paced = (telegram.messages.length - 1) * 3000 - 500;
    assert.ok(span >= paced, `${telegram.messages.length} messages over ${span} ms; the per-chat pace is one per 3 s`);
  });

  it("a bad config edit keeps the last good values and opens config_invalid; fixing it resolves it", async () => {
    configure({ TELEGRAM_BOT_TOKEN: "", TELEGRAM_CHAT_ID: "" });
    await adminDb().doc(paths.longrun.config).delete();
    await watchdog(new Date());
    const created = (await adminDb().doc(paths.longrun.config).get()).data()!;
    assert.equal(created.heartbeatIntervalSec, 60, "config/current created with the runbook's defaults");
    assert.equal(created.alertThresholds.missedHbPerHour, 3);

    await adminDb().doc(paths.longrun.config).update({ heartbeatIntervalSec: "sixty" });
    await watchdog(new Date(Date.now() + 60_000));
    const [incident] = (await adminDb().collection(paths.longrun.incidents).where("type", "==", "config_invalid").get())
      .docs;
    assert.equal(incident!.get("status"), "open");
    assert.match(incident!.get("reason"), /heartbeatIntervalSec/);

    await adminDb().doc(paths.longrun.config).update({ heartbeatIntervalSec: 60 });
    await watchdog(new Date(Date.now() + 120_000));
    assert.equal((await incident!.ref.get()).get("status"), "resolved");
  });
});
