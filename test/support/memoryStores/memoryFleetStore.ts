import { Timestamp } from "firebase-admin/firestore";
import { fleetMemberOf, type FleetStore } from "../../../worker/src/accounts/fleetStore";
import { roundTrip, type MemoryDatabase } from "./memoryDatabase";

/** The running workers over a MemoryDatabase: announce and leave write `workers`, watch listens to it. */
export function memoryFleetStore(
  db: MemoryDatabase,
  workerId: string,
  o: { leaseSec: number; maxAccounts: number },
): FleetStore {
  const startedAt = db.now();
  const members = () => [...db.workers].map(([id, d]) => fleetMemberOf(id, d));
  return {
    async announce(held) {
      await roundTrip();
      const nowMs = db.clock.now();
      db.workers.set(workerId, {
        leaseUntil: Timestamp.fromMillis(nowMs + o.leaseSec * 1000),
        maxAccounts: o.maxAccounts,
        held,
        startedAt,
        expireAt: Timestamp.fromMillis(nowMs + 86_400_000),
      });
      db.changed("workers", workerId);
    },
    async leave() {
      await roundTrip();
      if (db.workers.delete(workerId)) db.changed("workers", workerId);
    },
    watch(onChange) {
      let live = true;
      const onDbChange = (collection: string) => {
        if (collection === "workers") setImmediate(() => live && onChange(members()));
      };
      setImmediate(() => {
        if (!live) return;
        onChange(members());
        db.on("change", onDbChange);
      });
      return () => {
        live = false;
        db.off("change", onDbChange);
      };
    },
  };
}
