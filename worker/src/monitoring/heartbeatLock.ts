import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { lockStep, paths } from "@wa-gateway/core";

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;

export type LockAttempt = "acquired" | "renewed" | "held_elsewhere" | "lost";

/**
 * `wa_metrics/longrun/locks/{name}`: a lease one instance holds at a time. Every write is
 * conditional (create, or update/delete on the update time we last saw), so two instances can
 * never both believe they hold it, and a killed holder leaves nothing but a lease that expires.
 */
export function heartbeatLock(db: Firestore, name: string, holder: string, leaseSec: number) {
  const ref = db.doc(paths.longrun.lock(name));
  let held: { epoch: number; writeTime: Timestamp; leaseUntilMs: number } | null = null;

  const leaseFields = (now: number) => ({
    leaseUntilTs: Timestamp.fromMillis(now + leaseSec * 1000),
    renewedAt: Timestamp.fromMillis(now),
  });

  async function acquire(now: number): Promise<LockAttempt> {
    const snap = await ref.get();
    const data = snap.data();
    const view = data
      ? {
          holder: String(data.holder),
          leaseUntilMs: (data.leaseUntilTs as Timestamp).toMillis(),
          epoch: Number(data.epoch),
        }
      : undefined;
    if (lockStep(view, holder, now) === "held_elsewhere") return "held_elsewhere";
    const epoch = (view?.epoch ?? 0) + 1;
    const doc = { holder, epoch, acquiredAt: Timestamp.fromMillis(now), ...leaseFields(now) };
    try {
      const result = snap.exists ? await ref.update(doc, { lastUpdateTime: snap.updateTime! }) : await ref.create(doc);
      held = { epoch, writeTime: result.writeTime, leaseUntilMs: now + leaseSec * 1000 };
      return "acquired";
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION || code === NOT_FOUND) return "held_elsewhere";
      throw err;
    }
  }

  async function renew(now: number): Promise<LockAttempt> {
    const current = held!;
    try {
      const result = await ref.update(leaseFields(now), { lastUpdateTime: current.writeTime });
      held = { ...current, writeTime: result.writeTime, leaseUntilMs: now + leaseSec * 1000 };
      return "renewed";
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === FAILED_PRECONDITION || code === NOT_FOUND) {
        held = null;
        return "lost";
      }
      throw err;
    }
  }

  return {
    /** Acquires when free or expired, renews when ours. */
    tick(now = Date.now()): Promise<LockAttempt> {
      return held ? renew(now) : acquire(now);
    },
    /** Ours and not yet expired by our own clock: safe to write a beat under it. */
    holds(now = Date.now()): { epoch: number } | null {
      return held && held.leaseUntilMs > now ? { epoch: held.epoch } : null;
    },
    /** Gives the lease up at once so a standby takes over without waiting for it to expire. */
    async release(): Promise<void> {
      const current = held;
      held = null;
      if (!current) return;
      // Expire rather than delete: the epoch must keep counting up across holders.
      const now = Date.now();
      const expired = { leaseUntilTs: Timestamp.fromMillis(now), releasedAt: Timestamp.fromMillis(now) };
      await ref.update(expired, { lastUpdateTime: current.writeTime }).catch((err: { code?: number }) => {
        if (err.code !== FAILED_PRECONDITION && err.code !== NOT_FOUND) throw err;
      });
    },
    /** Forget the lease without touching Firestore (the process is going away uncleanly). */
    abandon(): void {
      held = null;
    },
  };
}
export type HeartbeatLock = ReturnType<typeof heartbeatLock>;
