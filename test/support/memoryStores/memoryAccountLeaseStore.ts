import { Timestamp } from "firebase-admin/firestore";
import { holdsLease, leaseState, nextEpoch, type LeaseClaim, type LeaseWrite } from "@wa-gateway/core";
import { type AccountDocument, type AccountStatus } from "@wa-gateway/core/documents";
import {
  accountViewOf,
  isTakeover,
  keepRecentDisconnects,
  reachoutFields,
  handOverFields,
  ownerOf,
  releasedOwner,
  withoutLeavingRemoved,
  type AccountLeaseStore,
  type AccountUpdate,
} from "../../../worker/src/accounts/accountLeaseStore";
import { roundTrip, stored, type MemoryDatabase } from "./memoryDatabase";
import { memorySessionStore } from "./memorySessionStore";

/**
 * The account lease over a MemoryDatabase, with Firestore's store's semantics (fenced by epoch,
 * leases judged on the database's clock); the store contract (test/support/storeContract) holds
 * both to the same answers.
 */
export function memoryAccountLeaseStore(db: MemoryDatabase, workerId: string, leaseSec: number): AccountLeaseStore {
  const leaseUntil = (nowMs: number) => Timestamp.fromMillis(nowMs + leaseSec * 1000);

  /** `fields` applied only while `epoch` is still ours; `alsoUnderLease` runs in the same step. */
  async function fenced(
    accountId: string,
    epoch: number,
    fields: (data: AccountDocument, nowMs: number) => AccountUpdate | null,
    alsoUnderLease?: () => void,
  ): Promise<LeaseWrite> {
    await roundTrip();
    const data = db.accounts.get(accountId);
    if (!data) return "missing";
    if (!holdsLease(ownerOf(data), workerId, epoch)) return "fenced";
    const nowMs = db.clock.now();
    const update = withoutLeavingRemoved(data, fields(data, nowMs));
    alsoUnderLease?.();
    if (update) db.putAccount(accountId, applyUpdate(data, update, nowMs));
    return "written";
  }

  return {
    watch(onChanges) {
      let live = true;
      const viewOf = (accountId: string) => {
        const data = db.accounts.get(accountId);
        return { accountId, view: data ? accountViewOf(data) : null };
      };
      const onChange = (collection: string, accountId: string) => {
        if (collection === "accounts") setImmediate(() => live && onChanges([viewOf(accountId)]));
      };
      setImmediate(() => {
        if (!live) return;
        onChanges([...db.accounts.keys()].map(viewOf));
        db.on("change", onChange);
      });
      return () => {
        live = false;
        db.off("change", onChange);
      };
    },

    async claim(accountId): Promise<LeaseClaim> {
      await roundTrip();
      const data = db.accounts.get(accountId);
      if (!data) return { kind: "missing" };
      const nowMs = db.clock.now();
      const owner = ownerOf(data);
      if (leaseState(owner, workerId, nowMs) === "theirs") return { kind: "held", until: owner!.untilMs };
      const epoch = nextEpoch(owner);
      db.putAccount(accountId, { ...data, owner: { workerId, leaseUntil: leaseUntil(nowMs), epoch } });
      return { kind: "claimed", epoch, takeover: isTakeover(data, workerId) };
    },

    renew: (accountId, epoch) =>
      fenced(accountId, epoch, (data, nowMs) => ({ owner: { ...data.owner!, leaseUntil: leaseUntil(nowMs) } })),

    release: (accountId, epoch, status?: AccountStatus) =>
      fenced(accountId, epoch, (data, nowMs) => ({
        owner: releasedOwner(data.owner, nowMs),
        ...(status ? { status } : {}),
      })),

    handOver: (accountId, epoch) => fenced(accountId, epoch, (data, nowMs) => handOverFields(data, nowMs)),

    setStatus: (accountId, epoch, status, extra = {}) => fenced(accountId, epoch, () => ({ status, ...extra })),

    recordDisconnect: (accountId, epoch, close) =>
      fenced(accountId, epoch, (data, nowMs) => ({
        status: close.status,
        ...(close.release ? { owner: releasedOwner(data.owner, nowMs) } : {}),
        lastDisconnect: { code: close.code ?? 0, at: Timestamp.fromMillis(nowMs) },
        reconnectCount: data.reconnectCount + 1,
        recentDisconnects: keepRecentDisconnects(data.recentDisconnects, nowMs),
        reconnectCooldownUntil: close.cooldownUntilMs ? Timestamp.fromMillis(close.cooldownUntilMs) : null,
        qr: null,
        qrExpiresAt: null,
        pairingCode: null,
      })),

    markInboundStuck: (accountId, epoch, sinceMs) =>
      fenced(accountId, epoch, () => ({
        inboundStuckSince: sinceMs === null ? null : Timestamp.fromMillis(sinceMs),
      })),

    recordReachout: (accountId, epoch, update) =>
      fenced(accountId, epoch, () => reachoutFields(update, db.clock.now())),

    async markBacklogResolved(accountId) {
      await roundTrip();
      const data = db.accounts.get(accountId);
      // Firestore's update() of a missing document: NOT_FOUND.
      if (!data) throw new Error(`5 NOT_FOUND: no entity to update: accounts/${accountId}`);
      db.putAccount(accountId, { ...data, backlogResolvedAt: db.now(), updatedAt: db.now() });
    },

    async markMediaCleared(accountId) {
      await roundTrip();
      const data = db.accounts.get(accountId);
      if (!data) throw new Error(`5 NOT_FOUND: no entity to update: accounts/${accountId}`);
      db.putAccount(accountId, { ...data, mediaClearedAt: db.now(), updatedAt: db.now() });
    },

    session: (accountId, epoch) =>
      memorySessionStore(
        db,
        accountId,
        epoch,
        () => {
          const data = db.accounts.get(accountId);
          return !!data && holdsLease(ownerOf(data), workerId, epoch);
        },
        (deleteSession) => fenced(accountId, epoch, () => ({ sessionClearedAt: db.now() }), deleteSession),
      ),
  };
}

/** The account document after `update` (top-level fields; Dates stored as Timestamps). */
function applyUpdate(data: AccountDocument, update: AccountUpdate, nowMs: number): AccountDocument {
  return { ...data, ...stored(update as unknown as Partial<AccountDocument>), updatedAt: Timestamp.fromMillis(nowMs) };
}
