/**
 * How fast an account may reach people it has never talked to. WhatsApp restricts a number that
 * starts too many new chats: error 463 and a "reachout timelock" of hours to days (Baileys #2441,
 * #2707; #2800: locked for 24 h after 30–40 first messages in a day), earliest for young numbers.
 * So a first message to a new contact has its own budget, per hour and per day, which grows over
 * the account's first weeks (warm-up); replies to known contacts are not counted. A message over
 * the budget, or sent while WhatsApp holds a timelock, waits in the outbox; it is never refused.
 */

/** From `fromDay` days after the account was added, at most `perHour` and `perDay` first messages. */
export interface NewContactStage {
  fromDay: number;
  perHour: number;
  perDay: number;
}

/** The warm-up schedule: stages by `fromDay`, the first from day 0. */
export type NewContactPolicy = readonly NewContactStage[];

/**
 * Below the 30–40 a day that got numbers locked (#2800), and lower for a young number, whose
 * companion devices are locked after "a few messages spaced over hours" (#2707): 8 a day in the
 * first week, 25 a day after four weeks, never more than a third of a day's budget in one hour.
 */
export const DEFAULT_NEW_CONTACT_POLICY: NewContactPolicy = [
  { fromDay: 0, perHour: 3, perDay: 8 },
  { fromDay: 7, perHour: 5, perDay: 15 },
  { fromDay: 14, perHour: 7, perDay: 20 },
  { fromDay: 28, perHour: 8, perDay: 25 },
];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Parses a schedule written `fromDay:perHour/perDay,…` (the default is `0:3/8,7:5/15,14:7/20,28:8/25`);
 * throws an Error that says what is wrong.
 */
export function parseNewContactPolicy(text: string): NewContactPolicy {
  const stages = text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^(\d+):(\d+)\/(\d+)$/.exec(part);
      if (!match) throw new Error(`"${part}" is not fromDay:perHour/perDay (e.g. 7:5/15)`);
      const [fromDay, perHour, perDay] = match.slice(1).map(Number) as [number, number, number];
      if (perHour > perDay) throw new Error(`"${part}": perHour is more than perDay`);
      return { fromDay, perHour, perDay };
    });
  if (stages.length === 0) throw new Error("no stage given");
  if (stages[0]!.fromDay !== 0) throw new Error("the first stage must start at day 0");
  for (let i = 1; i < stages.length; i++) {
    if (stages[i]!.fromDay <= stages[i - 1]!.fromDay) throw new Error("stages must be in increasing fromDay order");
  }
  return stages;
}

/** The account's stage on this day of its life (days since it was added; before it: day 0). */
export function newContactStage(policy: NewContactPolicy, accountAddedMs: number, nowMs: number): NewContactStage {
  const day = Math.max(0, Math.floor((nowMs - accountAddedMs) / DAY_MS));
  return policy.filter((stage) => stage.fromDay <= day).at(-1) ?? policy[0]!;
}

/**
 * When the next first message may go, given when the earlier ones went (any order): `nowMs`
 * when both windows have room, else when the oldest one counted leaves the fuller window.
 */
export function newContactDueAt(sentAtMs: readonly number[], stage: NewContactStage, nowMs: number): number {
  const dueIn = (windowMs: number, limit: number): number => {
    const inWindow = sentAtMs.filter((at) => at > nowMs - windowMs && at <= nowMs).sort((a, b) => a - b);
    if (inWindow.length < limit) return nowMs;
    // The one whose leaving brings the count under the limit.
    return inWindow[inWindow.length - limit]! + windowMs;
  };
  return Math.max(nowMs, dueIn(HOUR_MS, stage.perHour), dueIn(DAY_MS, stage.perDay));
}

/** What WhatsApp says of the account's reach-out timelock (Baileys' `ReachoutTimelockState`). */
export interface ReachoutLock {
  active: boolean;
  /** When it ends, or null when WhatsApp did not say. */
  untilMs: number | null;
  /** WhatsApp's enforcement type, as sent (e.g. RESTRICT_ALL_COMPANIONS, BIZ_QUALITY). */
  enforcement: string;
}

/** A lock with no end given is checked again after this long (WhatsApp Web assumes a minute). */
export const UNKNOWN_LOCK_RECHECK_MS = 15 * 60_000;

/** Why a queued message waits beyond its due time: the new-contact budget, or WhatsApp's timelock. */
export const HELD_REASONS = ["new_contact_budget", "reachout_timelock"] as const;
export type HeldReason = (typeof HELD_REASONS)[number];

export type ReachoutDecision = { kind: "go" } | { kind: "hold"; reason: HeldReason; untilMs: number };

/**
 * Whether a first message to a new contact may go now. A timelock holds it until the lock ends
 * (WhatsApp refuses it anyway, and each refusal counts as one more reach-out); else the budget.
 */
export function reachoutDecision(
  lock: ReachoutLock | null,
  sentAtMs: readonly number[],
  stage: NewContactStage,
  nowMs: number,
): ReachoutDecision {
  if (lock?.active && (lock.untilMs === null || lock.untilMs > nowMs)) {
    return { kind: "hold", reason: "reachout_timelock", untilMs: lock.untilMs ?? nowMs + UNKNOWN_LOCK_RECHECK_MS };
  }
  const dueAt = newContactDueAt(sentAtMs, stage, nowMs);
  return dueAt > nowMs ? { kind: "hold", reason: "new_contact_budget", untilMs: dueAt } : { kind: "go" };
}

/** A failed entry's `lastError` for a message WhatsApp took, then refused with `code` (an ERROR ack). */
export function refusedByWhatsApp(code: number | undefined): string {
  const base = `WhatsApp refused the message (code ${code ?? "unknown"})`;
  return code === 463
    ? `${base}: the account may not start this chat now (a reach-out timelock, or no conversation with the contact yet); requeue it once the account's lock has ended`
    : base;
}
