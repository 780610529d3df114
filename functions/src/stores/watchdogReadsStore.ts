import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { type AccountDocument } from "@wa-gateway/core/documents";
import {
  ACCOUNT_LIVENESS_PAGE,
  HELD_STATUSES,
  type AccountLiveness,
  type CloudTokenExpiry,
  type WatchdogReads,
  type WatchedAccount,
} from "@wa-gateway/core/longrun";
import {
  accounts,
  heartbeats as heartbeatDocs,
  heartbeatState,
  incidents as incidentDocs,
  outbox as outboxDocs,
  readTogether,
  unhandledStanzas,
} from "@wa-gateway/data";

/** Accounts an accounts_unheld alert names (the count says how many more). */
const UNHELD_SAMPLE = 5;

/** More types than this would be a flood of changes: the first ones are enough to alert on. */
const UNHANDLED_STANZAS_READ = 100;

type AccountFields = Pick<
  AccountDocument,
  "status" | "recentDisconnects" | "inboundStuckSince" | "lastDisconnect" | "reachoutLock"
>;

const ts = (value: number) => Timestamp.fromMillis(value);

/**
 * What the watchdog reads to evaluate the system. Accounts are counted with aggregations and
 * read one by one only when they may be in trouble, so a run's reads and documents do not grow
 * with the number of accounts.
 */
export function firestoreWatchdogReads(db: Firestore): WatchdogReads {
  /** Adds to `found` the accounts open incidents of `type` name that a query did not find (undefined: deleted). */
  const withAccountsNamedByOpen = async <A>(
    type: "account_down" | "cloud_token_expiring",
    found: Map<string, A | AccountDocument | undefined>,
  ) => {
    const open = await incidentDocs.kind
      .select(incidentDocs.all(db).where("status", "==", "open").where("type", "==", type), "key")
      .get();
    const named = [...new Set(open.docs.map((d) => d.data().key))].filter((id) => !found.has(id));
    if (named.length) {
      for (const snap of await readTogether(
        db,
        named.map((id) => accounts.doc(db, id)),
      )) {
        found.set(snap.id, snap.data());
      }
    }
    return found;
  };

  const heartbeats = heartbeatDocs.all(db);
  const outbox = outboxDocs.all(db);
  const accountsAll = accounts.all(db);
  const count = async <T>(q: FirebaseFirestore.Query<T>) => (await q.count().get()).data().count;

  return {
    async heartbeatState() {
      const s = (await heartbeatState.doc(db).get()).data();
      return {
        lastHeartbeatMs: s?.lastHeartbeatAt?.toMillis() ?? null,
        lastInstanceId: s?.lastHeartbeatInstanceId ?? null,
        streakStartedMs: s?.streakStartedAt?.toMillis() ?? null,
        firstHeartbeatMs: s?.firstHeartbeatAt?.toMillis() ?? null,
        plannedStopMs: s?.plannedStopAt?.toMillis() ?? null,
      };
    },

    async heartbeatCounts(nowMs) {
      const [lastHour, last24h] = await Promise.all([
        count(heartbeats.where("serverTs", ">=", ts(nowMs - 3_600_000))),
        count(heartbeats.where("serverTs", ">=", ts(nowMs - 86_400_000))),
      ]);
      return { lastHour, last24h };
    },

    async outboxView(nowMs) {
      const since = ts(nowMs - 5 * 60_000);
      const [queuedCount, failedLast5m, oldestMs] = await Promise.all([
        count(outbox.where("status", "==", "queued")),
        count(outbox.where("status", "==", "failed").where("updatedAt", ">=", since)),
        outboxDocs.oldestQueuedMs(db),
      ]);
      return {
        queuedCount,
        failedLast5m,
        oldestQueuedAgeSec: oldestMs === null ? 0 : Math.max(0, Math.round((nowMs - oldestMs) / 1000)),
      };
    },

    async accountCounts(nowMs) {
      const [ever, live, connected] = await Promise.all([
        count(accountsAll),
        count(accountsAll.where("status", "!=", "removed")),
        count(accountsAll.where("status", "==", "connected").where("owner.leaseUntil", ">", ts(nowMs))),
      ]);
      return { ever, live, connected };
    },

    async watchedAccounts(nowMs) {
      const fields = ["status", "recentDisconnects", "inboundStuckSince", "lastDisconnect", "reachoutLock"] as const;
      const [loggedOut, disconnected, inboundStuck, reachoutLocked, openAccountIncidents] = await Promise.all([
        accounts.kind.select(accountsAll.where("status", "==", "logged_out"), ...fields).get(),
        accounts.kind.select(accountsAll.where("lastDisconnect.at", ">", ts(nowMs - 3_600_000)), ...fields).get(),
        accounts.kind.select(accountsAll.where("inboundStuckSince", ">", ts(0)), ...fields).get(),
        accounts.kind.select(accountsAll.where("reachoutLock.seenAt", ">", ts(0)), ...fields).get(),
        incidentDocs.kind
          .select(
            incidentDocs
              .all(db)
              .where("status", "==", "open")
              .where("type", "in", ["logged_out", "reconnect_loop", "inbound_backlog", "reachout_timelock"]),
            "key",
          )
          .get(),
      ]);
      const found = new Map<string, AccountFields>(
        [...loggedOut.docs, ...disconnected.docs, ...inboundStuck.docs, ...reachoutLocked.docs].map((d) => [
          d.id,
          d.data(),
        ]),
      );
      const named = [...new Set(openAccountIncidents.docs.map((d) => d.data().key))].filter((id) => !found.has(id));
      if (named.length) {
        const partial = accounts.kind.partial(...fields);
        const refs = named.map((id) => accounts.doc(db, id).withConverter(partial));
        for (const snap of await readTogether(db, refs, { fieldMask: [...fields] })) {
          // A deleted account still gets an evaluation, so its incidents resolve.
          found.set(snap.id, snap.data() ?? { status: "removed", lastDisconnect: null });
        }
      }
      return [...found].map(([id, data]): WatchedAccount => ({
        id,
        status: data.status,
        recentDisconnectsMs: (data.recentDisconnects ?? []).map((t) => t.toMillis()),
        inboundStuckSinceMs: data.inboundStuckSince?.toMillis() ?? null,
        lastDisconnectCode: data.lastDisconnect?.code ?? null,
        reachoutLock: data.reachoutLock
          ? { untilMs: data.reachoutLock.until?.toMillis() ?? null, enforcement: data.reachoutLock.enforcement }
          : null,
      }));
    },

    async unheldAccounts(nowMs, unheldForMs) {
      const needsSocket = accountsAll.where("status", "in", [...HELD_STATUSES]);
      const before = ts(nowMs - unheldForMs);
      // A lease that ran out (or was given back) that long ago, or never held since it was added.
      const leaseGone = needsSocket.where("owner.leaseUntil", "<", before);
      const neverHeld = needsSocket.where("owner", "==", null).where("createdAt", "<", before);
      const [gone, never, sample] = await Promise.all([
        count(leaseGone),
        count(neverHeld),
        Promise.all([leaseGone, neverHeld].map((q) => q.select().limit(UNHELD_SAMPLE).get())),
      ]);
      const ids = sample.flatMap((snap) => snap.docs.map((d) => d.id)).slice(0, UNHELD_SAMPLE);
      return { count: gone + never, sample: ids };
    },

    async unhandledStanzas() {
      // One document per type ever seen: a short list (a new one means WhatsApp changed something).
      const snap = await unhandledStanzas.all(db).limit(UNHANDLED_STANZAS_READ).get();
      return snap.docs.map((d) => {
        const data = d.data();
        return {
          kind: data.kind,
          type: data.type,
          shape: data.shape,
          accounts: data.accountIds.length,
          lastSeenMs: data.lastSeenAt.toMillis(),
        };
      });
    },

    async cloudTokens(nowMs, withinMs) {
      const expiring = await accounts.kind
        .select(
          // A token expired over a week ago belongs to an account long down (or removed): its
          // open incident, if any, is still read; the rest must not crowd out the live ones.
          accountsAll
            .where("cloudApiToken.expiresAt", "<=", ts(nowMs + withinMs))
            .where("cloudApiToken.expiresAt", ">=", ts(nowMs - withinMs)),
          "status",
          "cloudApiToken",
        )
        .limit(ACCOUNT_LIVENESS_PAGE)
        .get();
      const found = await withAccountsNamedByOpen(
        "cloud_token_expiring",
        new Map<string, Pick<AccountDocument, "status" | "cloudApiToken"> | undefined>(
          expiring.docs.map((d) => [d.id, d.data()]),
        ),
      );
      return [...found].map(([accountId, a]): CloudTokenExpiry => ({
        accountId,
        status: a?.status ?? "removed",
        expiresAtMs: a?.cloudApiToken?.expiresAt?.toMillis() ?? null,
      }));
    },

    async accountLiveness(nowMs, unheldForMs) {
      const [notConnected, unheld] = await Promise.all([
        accountsAll
          .where("status", "in", ["pending_qr", "connecting", "disconnected", "needs_qr"])
          .limit(ACCOUNT_LIVENESS_PAGE)
          .get(),
        // Only the ones unheld long enough to be an incident: a fleet whose leases just lapsed is the heartbeat's alarm.
        accountsAll
          .where("status", "==", "connected")
          .where("owner.leaseUntil", "<=", ts(nowMs - unheldForMs))
          .limit(ACCOUNT_LIVENESS_PAGE)
          .get(),
      ]);
      const found = await withAccountsNamedByOpen(
        "account_down",
        new Map<string, AccountDocument | undefined>(
          [...notConnected.docs, ...unheld.docs].map((d) => [d.id, d.data()]),
        ),
      );
      return [...found].map(([id, a]): AccountLiveness => ({
        id,
        // A deleted account is no longer down: its incident resolves.
        status: a?.status ?? "removed",
        leaseUntilMs: a?.owner?.leaseUntil.toMillis() ?? null,
        cooldownUntilMs: a?.reconnectCooldownUntil?.toMillis() ?? null,
        lastDisconnectMs: a?.lastDisconnect?.at.toMillis() ?? null,
        lastDisconnectCode: a?.lastDisconnect?.code ?? null,
        createdMs: a?.createdAt.toMillis() ?? nowMs,
      }));
    },
  };
}
