import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { MOVE_EVERY_MS } from "@wa-gateway/core/accounts";
import type { AccountLeaseStore } from "../../../worker/src/accounts/accountLeaseStore";
import { seedMemorySession } from "../../support/memoryStores/memorySessionStore";
import { renewalCounter } from "../../support/memoryStores/renewalCounter";
import { memoryWorkersPerTest } from "../../support/memoryWorker";

const ACCOUNTS = Array.from({ length: 6 }, (_, i) => `acc-${i}`);

/** The accounts shared evenly among the live workers, over the in-memory stores. */
describe("accounts shared across the fleet", function () {
  this.timeout(20_000);
  const { world, start, stopped } = memoryWorkersPerTest();
  const db = () => world.db();
  const holders = () =>
    ACCOUNTS.map((id) => {
      const a = db().accounts.get(id)!;
      return a.status === "connected" && a.owner && !a.owner.releasedAt ? a.owner.workerId : null;
    });
  const heldBy = (workerId: string) => holders().filter((h) => h === workerId).length;
  const until = (what: string, check: () => boolean) => db().until(what, () => (check() ? true : undefined));

  beforeEach(async () => {
    for (const id of ACCOUNTS) {
      seedMemorySession(db(), id, { meJid: `${id}@s.whatsapp.net` });
      await world.putAccount(id, { status: "connecting" });
    }
  });

  it("a worker that joins takes half the accounts, handed over without a disconnect, each once", async () => {
    await start({ workerId: "w1" });
    await until("w1 holds all six", () => heldBy("w1") === 6);
    const disconnectsBefore = ACCOUNTS.map((id) => db().accounts.get(id)!.recentDisconnects?.length ?? 0);

    const joined = Date.now();
    await start({ workerId: "w2" });
    await until("three each", () => heldBy("w1") === 3 && heldBy("w2") === 3);
    const handOverMs = Date.now() - joined;
    assert.ok(handOverMs < 5_000, `hand-over took ${handOverMs} ms`);

    const moved = ACCOUNTS.filter((id) => db().accounts.get(id)!.movedAt);
    assert.equal(moved.length, 3, "the three that moved say so");
    assert.deepEqual(
      ACCOUNTS.map((id) => db().accounts.get(id)!.recentDisconnects?.length ?? 0),
      disconnectsBefore,
      "a planned move is no disconnect: no reconnect loop, no cool-down",
    );
  });

  it("moves an account at most once in MOVE_EVERY_MS: a third worker waits for the rest", async () => {
    await start({ workerId: "w1" });
    await until("w1 holds all six", () => heldBy("w1") === 6);
    await start({ workerId: "w2" });
    await until("three each", () => heldBy("w1") === 3 && heldBy("w2") === 3);

    await start({ workerId: "w3" });
    // w1's three never moved: one goes to w3. w2's three just moved: they stay, for now.
    await until("w3 takes one of w1's", () => heldBy("w3") === 1 && heldBy("w1") === 2);
    assert.equal(heldBy("w2"), 3);

    // Ten minutes on for the moves (only for them: the leases must not run out meanwhile).
    for (const id of ACCOUNTS) {
      const account = db().accounts.get(id)!;
      if (account.movedAt) {
        const movedAt = Timestamp.fromMillis(account.movedAt.toMillis() - MOVE_EVERY_MS);
        db().putAccount(id, { ...account, movedAt });
      }
    }
    await until("two each", () => heldBy("w1") === 2 && heldBy("w2") === 2 && heldBy("w3") === 2);
  });

  it("a worker that stops leaves the fleet at once: the others take its accounts", async () => {
    const { manager: w1 } = await start({ workerId: "w1" });
    await until("w1 holds all six", () => heldBy("w1") === 6);
    await start({ workerId: "w2" });
    await until("three each", () => heldBy("w1") === 3 && heldBy("w2") === 3);

    stopped(w1);
    await w1.stop();
    assert.equal(db().workers.has("w1"), false, "gone from the fleet");
    await until("w2 holds all six", () => heldBy("w2") === 6);
  });

  it("a smaller worker joining takes what it can, and the bigger one keeps the rest held", async () => {
    // A rolling change of MAX_ACCOUNTS_PER_WORKER: for a while the workers' caps differ.
    await start({ workerId: "w1", maxAccounts: 10 });
    await until("w1 holds all six", () => heldBy("w1") === 6);
    await start({ workerId: "w2", maxAccounts: 1 });
    await until("w2 holds its one", () => heldBy("w2") === 1);
    await until("the other five held by w1", () => heldBy("w1") === 5);
    assert.deepEqual(
      holders().filter((h) => h === null),
      [],
    );
  });

  it("hands over no more than the others have room for: a full worker is given nothing", async () => {
    const { logs, next } = await start({ workerId: "w1", maxAccounts: 10 });
    await until("w1 holds all six", () => heldBy("w1") === 6);
    // Another worker joins already full: its announcement says it holds its share (3 of 3).
    const nowMs = db().clock.now();
    db().workers.set("w-full", {
      leaseUntil: Timestamp.fromMillis(nowMs + 60_000),
      maxAccounts: 3,
      held: 3,
      startedAt: Timestamp.fromMillis(nowMs),
      expireAt: Timestamp.fromMillis(nowMs + 86_400_000),
    });
    db().changed("workers", "w-full");
    await next("accounts_over_share");
    assert.equal(heldBy("w1"), 6, "nothing handed into no room");
    assert.equal(logs.filter((l) => l.message === "account_handed_over").length, 0);
  });

  it("keeps renewing its other accounts while a hand-over is slow", async () => {
    // A hand-over waits for the account's in-flight send; here its lease write takes a lease and more.
    const renewals = renewalCounter();
    const slowHandOver = (store: AccountLeaseStore): AccountLeaseStore => ({
      ...renewals.around(store),
      handOver: async (accountId, epoch) => {
        await new Promise((r) => setTimeout(r, 2_000));
        return store.handOver(accountId, epoch);
      },
    });
    const { logs } = await start({ workerId: "w1", leaseSec: 1.5, leases: slowHandOver });
    await until("w1 holds all six", () => heldBy("w1") === 6);
    await start({ workerId: "w2", leaseSec: 1.5 });
    await until("three each", () => heldBy("w1") === 3 && heldBy("w2") === 3);
    // Two more renewal passes of the three it kept (every half second), then no lease may be lost.
    const seen = renewals.count();
    await until("two more passes", () => renewals.count() >= seen + 6);
    assert.deepEqual(
      logs.filter((l) => l.message === "account_lease_lost").map((l) => [l.accountId, l.reason]),
      [],
    );
  });
});
