import { performance } from "node:perf_hooks";
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { GrpcStatus, lockStep } from "@wa-gateway/core";
import { locks } from "@wa-gateway/data";
import { ServerClock } from "../serverClock";

const { ALREADY_EXISTS, FAILED_PRECONDITION, NOT_FOUND } = GrpcStatus;

export type LockAttempt = "acquired" | "renewed" | "held_elsewhere" | "lost";

/**
 * `wa_metrics/longrun/locks/{name}`: a lease one instance holds at a time. Every write is
 * conditional (create, or update/delete on the update time we last saw), so two instances can
 * never both believe they hold it, and a killed holder leaves nothing but a lease that expires.
 * Whose lease is live is judged on Firestore's clock (the read time), and whether ours still is
 * by a local duration since the write: never on this machine's wall clock.
 */
export function heartbeatLock(
  db: Firestore,
  name: string,
  holder: string,
  leaseSec: number,
  clock = new ServerClock(),
) {
  const ref = locks.doc(db, name);
  /** `localDeadline`: performance.now() by which the lease we wrote has run out. */
  let held: { epoch: number; writeTime: Timestamp; localDeadline: number } | null = null;

  const leaseFields = (now: number) => ({
    leaseUntilTs: Timestamp.fromMillis(now + leaseSec * 1000),
    renewedAt: Timestamp.fromMillis(now),
  });

  async function acquire(): Promise<LockAttempt> {
    const askedAt = performance.now();
    const snap = await ref.get();
    const now = snap.readTime.toMillis();
    clock.observe(now);
    const data = snap.data();
    const view = data && { holder: data.holder, leaseUntilMs: data.leaseUntilTs.toMillis(), epoch: data.epoch };
    if (lockStep(view, holder, now) === "held_elsewhere") return "held_elsewhere";
    const epoch = (view?.epoch ?? 0) + 1;
    const doc = { holder, epoch, acquiredAt: Timestamp.fromMillis(now), ...leaseFields(now) };
    try {
      const result = snap.exists
        ? await ref.update(doc, { lastUpdateTime: snap.updateTime! })
        : await locks.create(db, name).create(doc);
      held = { epoch, writeTime: result.writeTime, localDeadline: askedAt + leaseSec * 1000 };
      return "acquired";
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION || code === NOT_FOUND) return "held_elsewhere";
      throw err;
    }
  }

  async function renew(): Promise<LockAttempt> {
    const current = held!;
    const askedAt = performance.now();
    try {
      const result = await ref.update(leaseFields(clock.now()), { lastUpdateTime: current.writeTime });
      clock.observe(result.writeTime.toMillis());
      held = { ...current, writeTime: result.writeTime, localDeadline: askedAt + leaseSec * 1000 };
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
    tick(): Promise<LockAttempt> {
      return held ? renew() : acquire();
    },
    /** Ours and not yet run out (a local duration since we wrote it): safe to write a beat under it. */
    holds(): { epoch: number } | null {
      return held && held.localDeadline > performance.now() ? { epoch: held.epoch } : null;
    },
    /** Gives the lease up at once so a standby takes over without waiting for it to expire. */
    async release(): Promise<void> {
      const current = held;
      held = null;
      if (!current) return;
      // Expire rather than delete: the epoch must keep counting up across holders.
      const now = clock.now();
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
