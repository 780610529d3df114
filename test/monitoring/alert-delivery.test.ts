import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { runWatchdog, type JobLog } from "@wa-gateway/core/longrun";
import { telegramChannel } from "../../functions/src/lib/telegram";
import { startFakeTelegram, type FakeTelegram } from "../../scripts/lib/fakeTelegram";
import { watchdogDeps } from "../../scripts/lib/watchdogFixtures";
import { adminDb, resetFirestore } from "../support/emulator";
import { eventually } from "../support/worker";

const TOKEN = "123123123:AAEdeliveryTestToken_abcdefghijklmnopq";
const CHAT_ID = "-1001112223334";
const MIN = 60_000;
const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Heartbeats last seen at `lastMs`, in a run that began at `streakMs`, after a day of them. */
async function heartbeatsUntil(lastMs: number, streakMs = lastMs - 86_400_000) {
  await adminDb()
    .doc(paths.longrun.state)
    .set({
      lastHeartbeatAt: Timestamp.fromMillis(lastMs),
      lastHeartbeatInstanceId: "w",
      streakStartedAt: Timestamp.fromMillis(streakMs),
      firstHeartbeatAt: Timestamp.fromMillis(lastMs - 86_400_000),
    });
}

const missedHeartbeat = async () =>
  (await adminDb().collection(paths.longrun.incidents).where("type", "==", "missed_heartbeat").get()).docs[0]!;

describe("alert delivery: what Telegram took is never sent again, what it did not is", function () {
  this.timeout(120_000);
  let telegram: FakeTelegram;
  const now = Date.now();
  const deps = (budgetMs?: number, apiRoot = telegram.apiRoot) => ({
    ...watchdogDeps(adminDb()),
    alerts: telegramChannel({ token: TOKEN, chatId: CHAT_ID, apiRoot, log: quiet, budgetMs }),
  });
  /**
   * A run that dies after claiming its alerts: its Telegram (a Bot API of its own) never answers,
   * not even the client's retries, like a function killed at its timeout.
   */
  const dyingRun = async (atMs: number) => {
    const dead = await startFakeTelegram({ token: TOKEN });
    dead.hangNext(Number.MAX_SAFE_INTEGER);
    const run = runWatchdog(deps(10 * MIN, dead.apiRoot), atMs, atMs).catch(() => undefined);
    return { bury: () => dead.stop().then(() => run) };
  };
  const loggedOutMentions = () =>
    telegram.messages
      .map((m) => m.text)
      .join("")
      .split("WhatsApp account logged out").length - 1;

  beforeEach(async () => {
    await resetFirestore();
    // Only the alerts under test: no heartbeat documents are seeded, so gaps and coverage are off.
    await adminDb()
      .doc(paths.longrun.config)
      .set({ expectedAccounts: 0, alertThresholds: { missedHbPerHour: 100_000, coverageMin: 0 } });
    telegram = await startFakeTelegram({ token: TOKEN }); // a fresh client: no pacing carried over
  });
  afterEach(() => telegram.stop());

  it("when the second of several messages is refused, only what it carried is sent again", async () => {
    await heartbeatsUntil(now - 10_000);
    const batch = adminDb().batch();
    for (let i = 0; i < 25; i++) batch.set(adminDb().doc(paths.account(`lo-${i}`)), { status: "logged_out" });
    await batch.commit();
    telegram.refuseNext(1, { afterAccepting: 1 });
    await runWatchdog(deps(), now, now);
    const firstRun = telegram.messages.length;
    assert.equal(firstRun, 1, "the first message went, the second was refused");
    const announcedFirst = loggedOutMentions();
    assert.ok(announcedFirst > 0 && announcedFirst < 25);

    await runWatchdog(deps(), now + MIN, now + MIN);
    assert.equal(loggedOutMentions(), 25, "every account announced exactly once over the two runs");
  });

  it("a Telegram that hangs costs the run its budget, not more; the alert goes out on a later run", async () => {
    await heartbeatsUntil(now - 600_000);
    telegram.hangNext(1);
    const t0 = Date.now();
    const first = await runWatchdog(deps(1_500), now, now);
    assert.ok(Date.now() - t0 < 10_000, `the run took ${Date.now() - t0} ms`);
    assert.equal(first.status === "done" && first.alerts, "failed");
    assert.equal((await missedHeartbeat()).get("lastNotifiedAt"), null, "not delivered, so still due");

    await runWatchdog(deps(1_500), now + MIN, now + MIN);
    assert.equal(telegram.messages.length, 1);
    assert.match(telegram.messages[0]!.text, /Heartbeats stopped/);
  });

  it("an alert claimed by a run that died is sent once its claim is stale, and then never again", async () => {
    await heartbeatsUntil(now - 600_000);
    const dying = await dyingRun(now);
    await eventually("the alert claimed", async () => (await missedHeartbeat()).get("notifyPending") === true);

    await runWatchdog(deps(), now + MIN, now + MIN);
    assert.equal(telegram.messages.length, 0, "a fresh claim is left to its run");
    await runWatchdog(deps(), now + 3 * MIN, now + 3 * MIN);
    assert.equal(telegram.messages.length, 1, "a stale claim is announced again");
    assert.equal((await missedHeartbeat()).get("notifyPending"), false, "and confirmed");
    await runWatchdog(deps(), now + 4 * MIN, now + 4 * MIN);
    assert.equal(telegram.messages.length, 1, "never twice");

    await dying.bury();
  });

  it("a resolution claimed by a run that died is delivered by a later run, once", async () => {
    await heartbeatsUntil(now - 600_000);
    await runWatchdog(deps(), now, now);
    assert.equal(telegram.messages.length, 1);

    await heartbeatsUntil(now + MIN - 5_000, now + MIN - 30_000); // heartbeats are back
    const dying = await dyingRun(now + MIN);
    await eventually("resolved", async () => (await missedHeartbeat()).get("status") === "resolved");
    await heartbeatsUntil(now + 3 * MIN - 5_000, now + MIN - 30_000);
    await runWatchdog(deps(), now + 3 * MIN, now + 3 * MIN);
    assert.equal(
      telegram.messages.length,
      2,
      JSON.stringify(
        telegram.messages.map((m) => m.text),
        null,
        1,
      ),
    );
    assert.match(telegram.messages[1]!.text, /RESOLVED<\/b> Heartbeats stopped/);
    await heartbeatsUntil(now + 4 * MIN - 5_000, now + MIN - 30_000);
    await runWatchdog(deps(), now + 4 * MIN, now + 4 * MIN);
    assert.equal(telegram.messages.length, 2, "delivered once");

    await dying.bury();
  });
});
