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
