import assert from "node:assert/strict";
import { onSchedule } from "firebase-functions/scheduler";
import { findScheduledFunctions, nextRun, startScheduler, type RunOutcome } from "../../scripts/lib/scheduler";

describe("local scheduler for onSchedule functions", () => {
  it("finds scheduled exports from their endpoint and ignores the rest", () => {
    const mod = {
      everyMinute: onSchedule("* * * * *", async () => {}),
      daily: onSchedule({ schedule: "5 0 * * *", timeZone: "UTC" }, async () => {}),
      notAFunction: 42,
    };
    const found = findScheduledFunctions(mod);
    assert.deepEqual(
      found.map((f) => [f.name, f.schedule, f.timeZone]),
      [
        ["daily", "5 0 * * *", "UTC"],
        ["everyMinute", "* * * * *", "UTC"],
      ],
    );
  });

  it("refuses a schedule cron cannot read instead of never running it", () => {
    assert.throws(() => findScheduledFunctions({ bad: onSchedule("every 5 minutes", async () => {}) }));
  });

  it("computes the next run in the function's time zone", () => {
    const after = new Date("2025-12-31T23:59:30Z");
    assert.equal(nextRun({ schedule: "5 0 * * *", timeZone: "UTC" }, after).toISOString(), "2026-01-01T00:05:00.000Z");
    assert.equal(nextRun({ schedule: "* * * * *", timeZone: "UTC" }, after).toISOString(), "2026-01-01T00:00:00.000Z");
  });

  it("runs the real handler with the scheduled time, and keeps running after a failure", async () => {
    const seen: string[] = [];
    let calls = 0;
    const mod = {
      job: onSchedule("* * * * * *", async (event) => {
        calls++;
        seen.push(event.scheduleTime);
        if (calls === 1) throw new Error("first run fails");
      }),
    };
    const outcomes: RunOutcome[] = [];
    const scheduler = startScheduler(findScheduledFunctions(mod), (o) => outcomes.push(o));
    await new Promise((r) => setTimeout(r, 2600));
    await scheduler.stop();
    assert.ok(outcomes.length >= 2, `ran ${outcomes.length} times`);
    assert.equal(outcomes[0]!.ok, false);
    assert.equal(outcomes[1]!.ok, true);
    assert.match(seen[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it("runs a function named to run at start once at once, for the slot that has just begun", async () => {
    const seen: string[] = [];
    const mod = { hourly: onSchedule("0 * * * *", async (event) => void seen.push(event.scheduleTime)) };
    const ran = new Promise<RunOutcome>((resolve) => {
      const scheduler = startScheduler(
        findScheduledFunctions(mod),
        (o) => void scheduler.stop().then(() => resolve(o)),
        () => new Date(),
        ["hourly"],
      );
    });
    const outcome = await ran;
    assert.equal(outcome.ok, true);
    const hour = new Date();
    hour.setUTCMinutes(0, 0, 0);
    assert.deepEqual(seen, [hour.toISOString()]);
  });
});
