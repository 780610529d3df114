import { Timestamp, type Firestore } from "firebase-admin/firestore";
import type { WorkerDocument } from "@wa-gateway/core/documents";
import { workers } from "@wa-gateway/data";
import { ServerClock } from "../serverClock";

/** A running worker, as the others see it. */
export interface FleetMember {
  workerId: string;
  untilMs: number;
  maxAccounts: number;
  /** The accounts it held when it last announced itself. */
  held: number;
}

/** How long a dead worker's document stays (TTL on `expireAt`). */
const EXPIRE_AFTER_MS = 86_400_000;

/**
 * The workers that run now (`workers/{workerId}`): each announces itself with its lease renewals
 * and leaves when it stops; every worker listens to all, so an instance that joins or leaves is
 * seen at once, without a rescan of the accounts.
 */
export interface FleetStore {
  /** This worker runs until now + its lease, holding `held` accounts. */
  announce(held: number): Promise<void>;
  /** This worker stops: the others may share its accounts at once. */
  leave(): Promise<void>;
  /** Every worker's document as it changes (the live ones are those whose `untilMs` is ahead). */
  watch(onChange: (members: FleetMember[]) => void, onError: (err: Error) => void): () => void;
}

export const fleetMemberOf = (workerId: string, d: WorkerDocument): FleetMember => ({
  workerId,
  untilMs: d.leaseUntil.toMillis(),
  maxAccounts: d.maxAccounts,
  held: d.held,
});

export function fleetStore(
  db: Firestore,
  workerId: string,
  o: { leaseSec: number; maxAccounts: number },
  clock = new ServerClock(),
): FleetStore {
  const startedAt = Timestamp.fromMillis(clock.now());
  return {
    async announce(held) {
      const nowMs = clock.now();
      await workers.write(db, workerId).set({
        leaseUntil: Timestamp.fromMillis(nowMs + o.leaseSec * 1000),
        maxAccounts: o.maxAccounts,
        held,
        startedAt,
        expireAt: Timestamp.fromMillis(nowMs + EXPIRE_AFTER_MS),
      });
    },
    async leave() {
      await workers.doc(db, workerId).delete();
    },
    watch(onChange, onError) {
      return workers
        .all(db)
        .onSnapshot((snap) => onChange(snap.docs.map((d) => fleetMemberOf(d.id, d.data()))), onError);
    },
  };
}
