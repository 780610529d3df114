import { CronExpressionParser } from "cron-parser";

/**
 * Runs the functions module's scheduled functions on their schedules, as Cloud Scheduler
 * would. The Functions emulator does not (it needs the Pub/Sub emulator, which firebase-tools
 * will not start on Java 17), so the local stack uses this instead.
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

export type RunOutcome = { name: string; scheduleTime: string; ms: number } & (
  { ok: true } | { ok: false; error: string }
);

/** Fires each function at its next scheduled time, one run at a time per function. */
export function startScheduler(
  functions: ScheduledFunction[],
  onRun: (outcome: RunOutcome) => void,
  now: () => Date = () => new Date(),
): { stop(): Promise<void> } {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  const arm = (fn: ScheduledFunction) => {
    if (stopped) return;
    const at = nextRun(fn, now());
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
  functions.forEach(arm);

  return {
    async stop() {
      stopped = true;
      timers.forEach((t) => clearTimeout(t));
      await Promise.allSettled([...running]);
    },
  };
}
