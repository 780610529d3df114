/**
 * How many accounts each live worker should hold: the accounts that want a socket spread evenly,
 * no worker above its own cap (MAX_ACCOUNTS_PER_WORKER may differ during a rolling change), what a
 * small worker cannot take going to the bigger ones. Every worker computes the same table from the
 * same fleet, so the shares add up to the accounts (or to the fleet's room, when that is less).
 */

export interface FleetSeat {
  workerId: string;
  /** The most this worker holds (its MAX_ACCOUNTS_PER_WORKER). */
  maxAccounts: number;
}

/** Each worker's share by id: the smallest caps filled first, the rest split evenly (rounded up). */
export function fleetShares(wanted: number, seats: readonly FleetSeat[]): Map<string, number> {
  // Ties by id in code-unit order (not the locale's): every worker must sort alike.
  const byCap = [...seats].sort(
    (a, b) => a.maxAccounts - b.maxAccounts || (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0),
  );
  const shares = new Map<string, number>();
  let left = wanted;
  byCap.forEach((seat, i) => {
    const share = Math.min(seat.maxAccounts, Math.ceil(left / (byCap.length - i)));
    shares.set(seat.workerId, share);
    left = Math.max(0, left - share);
  });
  return shares;
}

/** An account moves to another worker at most once in this long (a joining worker waits for the rest). */
export const MOVE_EVERY_MS = 10 * 60_000;

/** A held account as a hand-over sees it. */
export interface MovableAccount {
  accountId: string;
  /** When it last moved between workers (server time; 0: never). */
  movedAtMs: number;
  /** Stopping for a person (logout, new QR): it goes nowhere. */
  stoppingForPerson: boolean;
}

/**
 * Which of a worker's accounts to hand over when it holds more than `mine`: never more than the
 * room the others last announced (an account handed into no room would sit without a socket), and
 * none that moved within `moveEveryMs` (no bouncing between workers). Ids in order, so every pass
 * picks alike.
 */
export function handOverChoice(
  held: readonly MovableAccount[],
  mine: number,
  others: readonly { held: number; share: number }[],
  nowMs: number,
  moveEveryMs: number,
): { excess: number; room: number; moving: string[] } {
  const excess = held.length - mine;
  const room = others.reduce((sum, { held: theirs, share }) => sum + Math.max(0, share - theirs), 0);
  if (excess <= 0) return { excess: 0, room, moving: [] };
  const moving = held
    .filter((account) => !account.stoppingForPerson && nowMs - account.movedAtMs >= moveEveryMs)
    .map((account) => account.accountId)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, Math.min(excess, room));
  return { excess, room, moving };
}
