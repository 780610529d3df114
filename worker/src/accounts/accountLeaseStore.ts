import { FieldValue, Timestamp, type Firestore, type UpdateData } from "firebase-admin/firestore";
import { holdsLease, leaseState, nextEpoch, type Lease, type LeaseClaim, type LeaseWrite } from "@wa-gateway/core";
import {
  RECENT_DISCONNECTS_KEPT,
  type AccountDocument,
  type AccountStatus,
  type CloudApiNumber,
  type TimestampLike,
  type WrittenDocument,
} from "@wa-gateway/core/documents";
import type { ReachoutLock } from "@wa-gateway/core/outbox";
import { accounts } from "@wa-gateway/data";
import { optimisticUpdate, updateOf, type OptimisticDecision } from "../optimistic";
import { ServerClock } from "../serverClock";
import type { ReachoutUpdate, SessionStore } from "../transport/transport";
import { firestoreSessionStore } from "./sessionStore";

/** The account lease (`owner`) in the fenced-lease terms of core/leases.ts. */
export const ownerOf = ({ owner }: AccountDocument): Lease | null =>
  owner
    ? {
        holder: owner.workerId,
        untilMs: owner.leaseUntil.toMillis(),
        epoch: owner.epoch,
        ...(owner.releasedAt ? { released: true } : {}),
      }
    : null;

/**
 * The lease given back: it ends now but keeps its epoch, so the next claim is above every earlier
 * holder's and still reaches the session they committed (fenced by epoch). Nulling the owner
 * would restart epochs at 1, below a session written after a takeover: that account could not
 * log in again.
 */
export const releasedOwner = (owner: AccountDocument["owner"], nowMs: number): AccountDocument["owner"] =>
  owner && { ...owner, leaseUntil: Timestamp.fromMillis(nowMs), releasedAt: Timestamp.fromMillis(nowMs) };

/** A claim of a lease that ran out under another holder (it died or hung), not one given back. */
export const isTakeover = (data: AccountDocument, workerId: string): boolean =>
  !!data.owner && data.owner.workerId !== workerId && !data.owner.releasedAt;

/** What the worker reads of an account document: everything its lifecycle decides on. */
export interface AccountView {
  status: AccountStatus;
  owner: Lease | null;
  qrRequestedAtMs: number;
  phoneNumber: string | null;
  removedAtMs: number;
  lastDisconnectAtMs: number;
  recentDisconnectsMs: number[];
  /** A cool-down a holder recorded (0: none): whoever holds the account next honours it. */
  reconnectCooldownUntilMs: number;
  sessionClearedAtMs: number;
  backlogResolvedAtMs: number;
  mediaClearedAtMs: number;
  /** When the account was added: its warm-up counts from here. */
  createdAtMs: number;
  /** When a worker last handed it to another (0: never): it moves at most once per MOVE_EVERY_MS. */
  movedAtMs: number;
  /** WhatsApp's timelock as the last holder read it, or null. */
  reachoutLock: ReachoutLock | null;
  /** The account's Cloud API number, or null for a linked device (Baileys). */
  cloudApi: CloudApiNumber | null;
}

export function accountViewOf(d: AccountDocument): AccountView {
  const ms = (t: TimestampLike | null | undefined) => t?.toMillis() ?? 0;
  return {
    status: d.status,
    owner: ownerOf(d),
    qrRequestedAtMs: ms(d.qrRequestedAt),
    phoneNumber: d.phoneNumber,
    removedAtMs: ms(d.removedAt),
    lastDisconnectAtMs: ms(d.lastDisconnect?.at),
    recentDisconnectsMs: (d.recentDisconnects ?? []).map(ms),
    reconnectCooldownUntilMs: ms(d.reconnectCooldownUntil),
    sessionClearedAtMs: ms(d.sessionClearedAt),
    backlogResolvedAtMs: ms(d.backlogResolvedAt),
    mediaClearedAtMs: ms(d.mediaClearedAt),
    createdAtMs: ms(d.createdAt),
    movedAtMs: ms(d.movedAt),
    reachoutLock: d.reachoutLock
      ? { active: true, untilMs: d.reachoutLock.until?.toMillis() ?? null, enforcement: d.reachoutLock.enforcement }
      : null,
    cloudApi: d.transport === "cloud_api" ? (d.cloudApi ?? null) : null,
  };
}

export type AccountUpdate = UpdateData<WrittenDocument<AccountDocument>>;

/** What a status write may carry besides the status: the QR or pairing code, the linked JID, the cool-down. */
export type AccountStatusFields = Partial<
  Pick<WrittenDocument<AccountDocument>, "qr" | "qrExpiresAt" | "pairingCode" | "reconnectCooldownUntil" | "waJid">
>;

/** A socket close as the holder records it (recordDisconnect). */
export interface AccountClose {
  code: number | undefined;
  status: AccountStatus;
  /** Give the lease back in the same write. */
  release?: boolean;
  /** A cool-down starts: no reconnect before this (server time). */
  cooldownUntilMs?: number | null;
}

/**
 * The account lease (`accounts/{id}.owner`) and every write its holder makes, fenced by epoch:
 * a write answers `written`, `fenced` (another holder's epoch) or `missing` (no such account).
 * Firestore's is accountLeaseStore below; tests have an in-memory one (test/support/memoryStores).
 */
export interface AccountLeaseStore {
  /** Every account, as changes arrive (the first call has them all); `view` null: deleted. Answers the unsubscribe. */
  watch(
    onChanges: (changes: { accountId: string; view: AccountView | null }[]) => void,
    onError: (err: Error) => void,
  ): () => void;
  /** Takes the lease when it is free (never held, released, or expired): a new epoch fences the old holder. */
  claim(accountId: string): Promise<LeaseClaim>;
  renew(accountId: string, epoch: number): Promise<LeaseWrite>;
  /** Gives the lease up (shutdown, dormant account); the next claimant needs no wait. */
  release(accountId: string, epoch: number, status?: AccountStatus): Promise<LeaseWrite>;
  /** Gives the lease up for another worker to even out the fleet: a planned move, recorded as `movedAt`. */
  handOver(accountId: string, epoch: number): Promise<LeaseWrite>;
  setStatus(accountId: string, epoch: number, status: AccountStatus, extra?: AccountStatusFields): Promise<LeaseWrite>;
  /** The socket closed: its code and time, the new status, the cool-down, the lease given back if `release`. */
  recordDisconnect(accountId: string, epoch: number, close: AccountClose): Promise<LeaseWrite>;
  /** `inboundStuckSince` on the account, or null once stored again. */
  markInboundStuck(accountId: string, epoch: number, sinceMs: number | null): Promise<LeaseWrite>;
  /** What WhatsApp said of the account's reach to new contacts: its timelock, or its new-chat quota. */
  recordReachout(accountId: string, epoch: number, update: ReachoutUpdate): Promise<LeaseWrite>;
  /** Nothing waits for this dormant account any more; not a lease write. */
  markBacklogResolved(accountId: string): Promise<void>;
  /** A removed account's files are deleted; not a lease write. */
  markMediaCleared(accountId: string): Promise<void>;
  /** The account's session, fenced by this lease epoch. */
  session(accountId: string, epoch: number): SessionStore;
}

/** The account document's fields for what WhatsApp said of its reach (a lifted lock: null). */
export function reachoutFields(update: ReachoutUpdate, nowMs: number): AccountUpdate {
  const at = (ms: number | null) => (ms === null ? null : Timestamp.fromMillis(ms));
  if (update.kind === "quota") {
    const { used, total, cycleEndsMs } = update;
    return { newChatQuota: { used, total, cycleEndsAt: at(cycleEndsMs), seenAt: at(nowMs)! } };
  }
  const { lock } = update;
  return {
    reachoutLock: lock.active ? { until: at(lock.untilMs), enforcement: lock.enforcement, seenAt: at(nowMs)! } : null,
  };
}

/** A planned move: the lease given back, not a disconnect (no reconnect count, no cool-down). */
export function handOverFields(data: AccountDocument, nowMs: number): AccountUpdate {
  return { owner: releasedOwner(data.owner, nowMs), status: "disconnected", movedAt: Timestamp.fromMillis(nowMs) };
}

/** The last hour's disconnect times plus this one, newest last, bounded. */
export function keepRecentDisconnects(previous: TimestampLike[] | undefined, nowMs: number): TimestampLike[] {
  const hourAgo = nowMs - 3_600_000;
  const kept = (previous ?? []).filter((t) => t.toMillis() > hourAgo);
  return [...kept, Timestamp.fromMillis(nowMs)].slice(-RECENT_DISCONNECTS_KEPT);
}

/** `removed` is final: a holder's status write racing the removal must not bring the account back. */
export function withoutLeavingRemoved(data: AccountDocument, update: AccountUpdate | null): AccountUpdate | null {
  if (data.status !== "removed" || !update || !("status" in update)) return update;
  const { status: _ignored, ...rest } = update;
  return rest;
}

/** The account lease (`accounts/{id}.owner`) and every write its holder makes, fenced by epoch. */
export function accountLeaseStore(
  db: Firestore,
  workerId: string,
  leaseSec: number,
  clock = new ServerClock(),
): AccountLeaseStore {
  const ref = (accountId: string) => accounts.doc(db, accountId);
  /** `nowMs` is Firestore's read time: leases are judged and written on the server's clock. */
  const leaseUntil = (nowMs: number) => Timestamp.fromMillis(nowMs + leaseSec * 1000);

  /**
   * Applies `fields(data)` only while `epoch` is still ours (optimistic: no locks left by a crash).
   */
  function fenced(
    accountId: string,
    epoch: number,
    fields: (data: AccountDocument, nowMs: number) => AccountUpdate | null,
  ): Promise<LeaseWrite> {
    return optimisticUpdate(
      db,
      [ref(accountId)],
      ([snap], nowMs) => {
        const data = snap.data();
        if (!data) return { result: "missing" };
        if (!holdsLease(ownerOf(data), workerId, epoch)) return { result: "fenced" };
        const update = withoutLeavingRemoved(data, fields(data, nowMs));
        return {
          result: "written",
          updates: update ? [updateOf(ref(accountId), { ...update, updatedAt: FieldValue.serverTimestamp() })] : [],
        };
      },
      clock,
    );
  }

  return {
    /**
     * Every account, as changes arrive (the first call has them all); `view` null: deleted.
     * Answers the unsubscribe.
     */
    watch(
      onChanges: (changes: { accountId: string; view: AccountView | null }[]) => void,
      onError: (err: Error) => void,
    ): () => void {
      return accounts
        .all(db)
        .onSnapshot(
          (snap) =>
            onChanges(
              snap
                .docChanges()
                .map((c) => ({ accountId: c.doc.id, view: c.type === "removed" ? null : accountViewOf(c.doc.data()) })),
            ),
          onError,
        );
    },

    /** Takes the lease when it is free (never held, released, or expired): a new epoch fences the old holder. */
    claim(accountId: string): Promise<LeaseClaim> {
      return optimisticUpdate(
        db,
        [ref(accountId)],
        ([snap], nowMs): OptimisticDecision<LeaseClaim> => {
          const data = snap.data();
          if (!data) return { result: { kind: "missing" } };
          const owner = ownerOf(data);
          if (leaseState(owner, workerId, nowMs) === "theirs")
            return { result: { kind: "held", until: owner!.untilMs } };
          const epoch = nextEpoch(owner);
          return {
            result: { kind: "claimed", epoch, takeover: isTakeover(data, workerId) },
            updates: [updateOf(ref(accountId), { owner: { workerId, leaseUntil: leaseUntil(nowMs), epoch } })],
          };
        },
        clock,
      );
    },

    renew(accountId: string, epoch: number): Promise<LeaseWrite> {
      return fenced(accountId, epoch, (_, nowMs) => ({ "owner.leaseUntil": leaseUntil(nowMs) }));
    },

    /** Gives the lease up (shutdown, dormant account); the next claimant needs no wait. */
    release(accountId: string, epoch: number, status?: AccountStatus): Promise<LeaseWrite> {
      return fenced(accountId, epoch, (data, nowMs) => ({
        owner: releasedOwner(data.owner, nowMs),
        ...(status ? { status } : {}),
      }));
    },

    handOver(accountId: string, epoch: number): Promise<LeaseWrite> {
      return fenced(accountId, epoch, (data, nowMs) => handOverFields(data, nowMs));
    },

    setStatus(accountId: string, epoch: number, status: AccountStatus, extra: AccountStatusFields = {}) {
      return fenced(accountId, epoch, () => ({ status, ...extra }));
    },

    /**
     * The socket closed: its code and time, the new status, the cool-down if one starts, and the
     * lease given back with it if `release`.
     */
    recordDisconnect(accountId: string, epoch: number, close: AccountClose) {
      return fenced(accountId, epoch, (data, nowMs) => ({
        status: close.status,
        ...(close.release ? { owner: releasedOwner(data.owner, nowMs) } : {}),
        lastDisconnect: { code: close.code ?? 0, at: Timestamp.fromMillis(nowMs) },
        reconnectCount: FieldValue.increment(1),
        recentDisconnects: keepRecentDisconnects(data.recentDisconnects, nowMs),
        reconnectCooldownUntil: close.cooldownUntilMs ? Timestamp.fromMillis(close.cooldownUntilMs) : null,
        qr: null,
        qrExpiresAt: null,
        pairingCode: null,
      }));
    },

    /** `inboundStuckSince` on the account (the watchdog opens inbound_backlog), or null once stored again. */
    markInboundStuck(accountId: string, epoch: number, sinceMs: number | null) {
      return fenced(accountId, epoch, () => ({
        inboundStuckSince: sinceMs === null ? null : Timestamp.fromMillis(sinceMs),
      }));
    },

    recordReachout(accountId: string, epoch: number, update: ReachoutUpdate) {
      return fenced(accountId, epoch, (_data, nowMs) => reachoutFields(update, nowMs));
    },

    /** Nothing waits for this dormant account any more (dormantAccounts.ts); not a lease write. */
    async markBacklogResolved(accountId: string): Promise<void> {
      await ref(accountId).update({ backlogResolvedAt: FieldValue.serverTimestamp() });
    },

    async markMediaCleared(accountId: string): Promise<void> {
      await ref(accountId).update({ mediaClearedAt: FieldValue.serverTimestamp() });
    },

    /** The account's session (`waSessions/{accountId}` and its keys), fenced by this lease epoch. */
    session(accountId: string, epoch: number): SessionStore {
      return firestoreSessionStore(db, accountId, epoch, (account) => holdsLease(ownerOf(account), workerId, epoch));
    },
  };
}
