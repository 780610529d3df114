import { performance } from "node:perf_hooks";
import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { GrpcStatus, leaseState, nextEpoch, type Lease, type LeaseClaim, type LeaseWrite } from "@wa-gateway/core";
import { locks } from "@wa-gateway/data";
import { ServerClock } from "../serverClock";

const { ALREADY_EXISTS, FAILED_PRECONDITION, NOT_FOUND } = GrpcStatus;

/** A tick of the lock, in the fenced-lease words of core/leases.ts: a claim, or a renewal (a write under the lease). */
export type LockTick = LeaseClaim["kind"] | Exclude<LeaseWrite, "missing">;

/**
 * `wa_metrics/longrun/locks/{name}`: a fenced lease (core/leases.ts) one instance holds at a time. Every write is
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

  async function claim(): Promise<LockTick> {
    const askedAt = performance.now();
    const snap = await ref.get();
    const now = snap.readTime.toMillis();
    clock.observe(now);
    const data = snap.data();
    const lease: Lease | undefined = data && {
      holder: data.holder,
      untilMs: data.leaseUntilTs.toMillis(),
      epoch: data.epoch,
    };
    if (leaseState(lease, holder, now) === "theirs") return "held";
    const epoch = nextEpoch(lease);
    const doc = { holder, epoch, acquiredAt: Timestamp.fromMillis(now), ...leaseFields(now) };
    try {
      const result = snap.exists
        ? await ref.update(doc, { lastUpdateTime: snap.updateTime! })
        : await locks.write(db, name).create(doc);
      held = { epoch, writeTime: result.writeTime, localDeadline: askedAt + leaseSec * 1000 };
      return "claimed";
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION || code === NOT_FOUND) return "held";
      throw err;
    }
  }

  async function renew(): Promise<LockTick> {
    const current = held!;
    const askedAt = performance.now();
    try {
      const result = await ref.update(leaseFields(clock.now()), { lastUpdateTime: current.writeTime });
      clock.observe(result.writeTime.toMillis());
      held = { ...current, writeTime: result.writeTime, localDeadline: askedAt + leaseSec * 1000 };
      return "written";
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === FAILED_PRECONDITION || code === NOT_FOUND) {
        held = null;
        return "fenced";
      }
      throw err;
    }
  }

  return {
    /** Claims when free or expired, renews when ours: `claimed`, `held` (by another), `written` (renewed) or `fenced` (lost it). */
    tick(): Promise<LockTick> {
      return held ? renew() : claim();
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
