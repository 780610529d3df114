import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { handleRemoveAccount } from "@wa-gateway/core/proxies";
import { firestoreAccountStore } from "../../functions/src/stores/accountAdminStore";
import { accountLeaseStore } from "../../worker/src/accounts/accountLeaseStore";
import { DormantAccounts } from "../../worker/src/accounts/dormantAccounts";
import { SessionFenceLost } from "../../worker/src/accounts/sessionStore";
import { createLogger } from "../../worker/src/logging/logger";
import type { OutboxStore } from "../../worker/src/outbox/outboxPort";
import { ServerClock } from "../../worker/src/serverClock";
import type { SessionStore } from "../../worker/src/transport/transport";
import { adminDb, resetFirestore } from "../support/emulator";
import { countDocs, leaseGivenBack, seedAccount } from "../support/fixtures";
import { jsonLineSink } from "../support/logSink";
import { eventually } from "../support/worker";

const ACCOUNT = "acc-1";
const keyCount = () => countDocs(adminDb(), paths.waSessionKeys(ACCOUNT));
const sessionExists = async () => (await adminDb().doc(paths.waSession(ACCOUNT)).get()).exists;

/** A worker holding the account lease, its session opened and 450 keys in it (a clear of several pages). */
async function linkedHolder(workerId: string) {
  const accounts = accountLeaseStore(adminDb(), workerId, 30);
  const claim = await accounts.claim(ACCOUNT);
  assert.equal(claim.kind, "claimed");
  const epoch = (claim as { epoch: number }).epoch;
  const session = accounts.session(ACCOUNT, epoch);
  await session.commit({
    creds: { me: { id: "4915100000099:1@s.whatsapp.net" } },
    keys: { "pre-key": Object.fromEntries(Array.from({ length: 450 }, (_, i) => [`${i + 1}`, { n: i }])) },
  });
  return { accounts, epoch, session };
}

/**
 * The holder keeps committing a new key, one commit after another (a socket still decrypting),
 * until stopped; it counts what was accepted and refused, and what was accepted once `cleared()`.
 */
function committingInALoop(session: SessionStore) {
  const counts = { accepted: 0, refused: 0, acceptedAfterClear: 0, refusedAfterClear: 0 };
  let cleared = false;
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      try {
        await session.commit({ keys: { session: { [`peer-${n}`]: { n } } } });
        counts.accepted++;
        if (cleared) counts.acceptedAfterClear++;
      } catch (err) {
        if (!(err instanceof SessionFenceLost)) throw err;
        counts.refused++;
        if (cleared) counts.refusedAfterClear++;
      }
      await nextTurn(); // a refusal needs no I/O: let timers run between tries
    }
  })();
  return {
    counts,
    cleared: () => void (cleared = true),
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Lets the holder's lease run out as if it hung: it does not know, and keeps committing. */
async function leaseRunsOut(extra: Record<string, unknown> = {}) {
  await adminDb()
    .doc(paths.account(ACCOUNT))
    .update({ "owner.leaseUntil": Timestamp.fromMillis(0), ...extra });
}

describe("a cleared session stays cleared: one fenced clear for logout, removal and the dormant sweep", function () {
  this.timeout(60_000);

  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), ACCOUNT, { status: "connected" });
  });

  /** Runs `clear` while the stale holder commits in a loop, then lets it try five more commits. */
  async function clearWhileCommitting(session: SessionStore, clear: () => Promise<unknown>) {
    const stale = committingInALoop(session);
    await eventually("the stale holder commits", async () => stale.counts.accepted >= 3);
    await clear();
    stale.cleared();
    await eventually("five more commits tried after the clear", async () => stale.counts.refusedAfterClear >= 5);
    await stale.stop();
    return stale.counts;
  }

  it("the dormant sweep clears a removed account's session while its old holder still commits: 0 keys left, no late commit", async () => {
    const old = await linkedHolder("hung-worker");
    await leaseRunsOut({ status: "removed", removedAt: Timestamp.now() });
    const sweep = new DormantAccounts({
      accounts: accountLeaseStore(adminDb(), "sweeping-worker", 30),
      outbox: {} as OutboxStore,
      clock: new ServerClock(),
      logger: createLogger({ level: "silent", workerId: "sweeping-worker" }, jsonLineSink().sink),
      loggedOutHoldMs: 0,
      page: 10,
    });
    const counts = await clearWhileCommitting(old.session, () =>
      sweep.tend([
        {
          accountId: ACCOUNT,
          status: "removed",
          dormantSinceMs: Date.now(),
          sessionLeft: true,
          mediaLeft: false,
          backlogLeft: false,
          lease: "free",
        },
      ]),
    );
    assert.equal(counts.acceptedAfterClear, 0);
    assert.equal(await keyCount(), 0);
    assert.equal(await sessionExists(), false);
    const account = (await adminDb().doc(paths.account(ACCOUNT)).get()).data()!;
    assert.ok(account.sessionClearedAt, "the sweep is done with it");
    assert.ok(leaseGivenBack(account), "the sweep gave the lease back");
  });

  it("the removal callable clears the session of an account whose holder's lease ran out while it still commits", async () => {
    const old = await linkedHolder("hung-worker");
    await leaseRunsOut();
    const counts = await clearWhileCommitting(old.session, () =>
      handleRemoveAccount(
        { store: firestoreAccountStore(adminDb()), now: () => new Date() },
        { uid: "root", admin: true },
        { accountId: ACCOUNT },
      ),
    );
    assert.equal(counts.acceptedAfterClear, 0);
    assert.equal(await keyCount(), 0);
    assert.equal(await sessionExists(), false);
    const account = (await adminDb().doc(paths.account(ACCOUNT)).get()).data()!;
    assert.equal(account.status, "removed");
    assert.ok(account.sessionClearedAt);
    assert.ok(leaseGivenBack(account), "the callable gave its lease back");
  });

  it("a logout's clear is final: commits still queued behind it (a message decrypting) recreate nothing", async () => {
    const holder = await linkedHolder("w1");
    const counts = await clearWhileCommitting(holder.session, () => holder.session.clear());
    assert.equal(counts.acceptedAfterClear, 0);
    assert.equal(await keyCount(), 0);
    assert.equal(await sessionExists(), false);
    assert.equal(await holder.session.open(), "fenced");
  });

  it("after a clear only a new claim (a new link) opens the session again, never an older epoch", async () => {
    const holder = await linkedHolder("w1");
    assert.equal(await holder.session.clear(), "written");
    const sameEpochAgain = holder.accounts.session(ACCOUNT, holder.epoch);
    await holder.accounts.release(ACCOUNT, holder.epoch);
    assert.equal(await sameEpochAgain.open(), "fenced", "the lease is not that epoch's any more");
    await assert.rejects(sameEpochAgain.commit({ creds: { me: {} } }), SessionFenceLost);
    assert.equal(await sessionExists(), false);

    const relinked = await accountLeaseStore(adminDb(), "w2", 30).claim(ACCOUNT);
    assert.equal(relinked.kind, "claimed");
    const fresh = accountLeaseStore(adminDb(), "w2", 30).session(ACCOUNT, (relinked as { epoch: number }).epoch);
    assert.equal(await fresh.open(), "opened");
  });
});
