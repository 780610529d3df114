import { CronExpressionParser } from "cron-parser";

/**
 * Runs the functions module's scheduled functions on their schedules, as Cloud Scheduler
 * would. The Functions emulator never fires `onSchedule` functions (it logs "function ignored
 * because the pubsub emulator does not exist", and with the Pub/Sub emulator it only registers
 * the topic: nothing publishes on the schedule), so the local stack uses this instead.
 */

export interface ScheduledFunction {
  name: string;
  schedule: string;
  timeZone: string;
  run(event: { scheduleTime: string; jobName: string }): Promise<unknown>;
}

interface EndpointLike {
  __endpoint?: { scheduleTrigger?: { schedule?: unknown; timeZone?: unknown } };
  run?: (event: { scheduleTime: string; jobName: string }) => Promise<unknown>;
}

const literal = (value: unknown): string | undefined =>
  typeof value === "string"
    ? value
    : typeof (value as { value?: () => unknown })?.value === "function"
      ? String((value as { value: () => unknown }).value())
      : undefined;

/** Every export with a schedule trigger; a schedule cron-parser cannot read is an error, not skipped. */
export function findScheduledFunctions(mod: Record<string, unknown>): ScheduledFunction[] {
  const out: ScheduledFunction[] = [];
  for (const [name, value] of Object.entries(mod)) {
    const fn = value as EndpointLike;
    const trigger = fn?.__endpoint?.scheduleTrigger;
    if (!trigger || typeof fn.run !== "function") continue;
    const schedule = literal(trigger.schedule);
    if (!schedule) throw new Error(`${name}: schedule is not a string`);
    const timeZone = literal(trigger.timeZone) ?? "UTC";
    CronExpressionParser.parse(schedule, { tz: timeZone }); // throws on a schedule Cloud Scheduler would refuse
    out.push({ name, schedule, timeZone, run: fn.run.bind(fn) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function nextRun(fn: Pick<ScheduledFunction, "schedule" | "timeZone">, after: Date): Date {
  return CronExpressionParser.parse(fn.schedule, { currentDate: after, tz: fn.timeZone }).next().toDate();
}

/** The slot that has just begun (the latest scheduled time at or before `at`). */
export function previousRun(fn: Pick<ScheduledFunction, "schedule" | "timeZone">, at: Date): Date {
  const later = new Date(at.getTime() + 1);
  return CronExpressionParser.parse(fn.schedule, { currentDate: later, tz: fn.timeZone }).prev().toDate();
}

export type RunOutcome = { name: string; scheduleTime: string; ms: number } & (
  { ok: true } | { ok: false; error: string }
);

/**
 * Fires each function at its next scheduled time, one run at a time per function. Those named in
 * `runAtStart` also run once at once, for the slot that has just begun (so a fresh local stack
 * shows the watchdog's verdict without waiting for the next whole minute).
 */
export function startScheduler(
  functions: ScheduledFunction[],
  onRun: (outcome: RunOutcome) => void,
  now: () => Date = () => new Date(),
  runAtStart: readonly string[] = [],
): { stop(): Promise<void> } {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  const arm = (fn: ScheduledFunction, at = nextRun(fn, now())) => {
    if (stopped) return;
    const timer = setTimeout(
      () => {
        const scheduleTime = at.toISOString();
        const started = Date.now();
        const run = fn
          .run({ scheduleTime, jobName: `local-${fn.name}` })
          .then(
            () => onRun({ name: fn.name, scheduleTime, ms: Date.now() - started, ok: true }),
            (err: Error) =>
              onRun({ name: fn.name, scheduleTime, ms: Date.now() - started, ok: false, error: err.message }),
          )
          .finally(() => {
            running.delete(run);
            arm(fn);
          });
        running.add(run);
      },
      Math.max(0, at.getTime() - now().getTime()),
    );
    timers.set(fn.name, timer);
  };
  for (const fn of functions) {
    if (runAtStart.includes(fn.name)) arm(fn, previousRun(fn, now()));
    else arm(fn);
  }

  return {
    async stop() {
      stopped = true;
      timers.forEach((t) => clearTimeout(t));
      await Promise.allSettled([...running]);
    },
  };
}
