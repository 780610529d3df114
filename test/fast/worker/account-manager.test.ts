import assert from "node:assert/strict";
import type { AccountDocument } from "@wa-gateway/core/documents";
import type { ReconnectPolicy } from "@wa-gateway/core/accounts";
import type { AccountLeaseStore } from "../../../worker/src/accounts/accountLeaseStore";
import { leaseGivenBack } from "../../support/fixtures";
import { seedMemorySession } from "../../support/memoryStores/memorySessionStore";
import { renewalCounter } from "../../support/memoryStores/renewalCounter";
import { FAST_RECONNECT, memoryWorkersPerTest } from "../../support/memoryWorker";

/** The account manager and its held accounts over the in-memory stores and the simulated WhatsApp. */
describe("accounts over in-memory stores: claim, sockets, closes, shutdown", function () {
  this.timeout(10_000);
  const { world, network, start, stopped } = memoryWorkersPerTest();
  const account = (accountId = "acc-1") => world.db().accounts.get(accountId);
  const accountUntil = (what: string, check: (a: AccountDocument) => boolean, accountId = "acc-1") =>
    world.db().until(what, () => {
      const a = account(accountId);
      return a && check(a) ? a : undefined;
    });

  /** An account whose phone was linked before: its session has creds, so it logs in without a QR. */
  async function linkedAccount(accountId = "acc-1") {
    seedMemorySession(world.db(), accountId, { meJid: `${accountId}@s.whatsapp.net` });
    await world.putAccount(accountId, { status: "connecting" });
  }

  /** acc-1 linked, held by w1, and closed twice in the hour: past `perHour` (1), it cools down. */
  async function cooledDown(reconnect: ReconnectPolicy) {
    await linkedAccount();
    const first = await start({ reconnect });
    await accountUntil("connected", (a) => a.status === "connected");
    network().disconnect("acc-1", 428);
    await accountUntil("connected again", (a) => a.status === "connected" && a.reconnectCount === 1);
    network().disconnect("acc-1", 428);
    await first.next("account_reconnect_cooldown");
    const cooling = await accountUntil("the cool-down recorded", (a) => !!a.reconnectCooldownUntil);
    return { first, cooling };
  }

  it("claims a new account, shows its QR, and connects once the phone scans it", async () => {
    await start();
    await world.putAccount("acc-1", { status: "pending_qr" });
    const shown = await accountUntil("a QR", (a) => a.qr !== null);
    assert.deepEqual([shown.status, shown.owner?.workerId], ["pending_qr", "w1"]);
    assert.ok(network().scan("acc-1"));
    const connected = await accountUntil("connected", (a) => a.status === "connected");
    assert.deepEqual([connected.qr, connected.waJid !== null], [null, true]);
  });

  it("holds no more accounts than it may", async () => {
    const renewals = renewalCounter();
    for (const id of ["acc-1", "acc-2", "acc-3"]) await linkedAccount(id);
    await start({ maxAccounts: 2, leaseSec: 1.5, leases: renewals.around });
    // Renewals come first in each pass, claims after: a third renewal means a whole pass ran at the limit.
    await world.db().until("a pass of renewals after the claims", () => renewals.count() >= 3);
    const held = ["acc-1", "acc-2", "acc-3"].filter((id) => account(id)?.owner?.workerId === "w1");
    assert.equal(held.length, 2);
  });

  it("keeps every lease while Firestore is slow: renewals of its accounts do not wait on each other", async () => {
    // Each renewal takes 40% of the lease: four in a row would outlast it.
    let renewals = 0;
    const slow = (store: AccountLeaseStore): AccountLeaseStore => ({
      ...store,
      renew: async (accountId, epoch) => {
        await new Promise((r) => setTimeout(r, 600));
        renewals++;
        return store.renew(accountId, epoch);
      },
    });
    const ids = ["acc-1", "acc-2", "acc-3", "acc-4"];
    for (const id of ids) await linkedAccount(id);
    const { logs } = await start({ leaseSec: 1.5, leases: slow });
    const lost = () => logs.filter((l) => l.message === "account_lease_lost").map((l) => [l.accountId, l.reason]);
    await world
      .db()
      .until("three passes of renewals, or a lease lost", () => renewals >= 3 * ids.length || lost().length);
    assert.deepEqual(lost(), []);
    assert.deepEqual(
      ids.map((id) => account(id)?.owner?.workerId),
      ["w1", "w1", "w1", "w1"],
    );
  });

  it("keeps every lease while it fills up with slow claims: claims go several at a time", async () => {
    // Each claim takes a seventh of the lease: ten in a row would outlast the first one's lease.
    const renewals = renewalCounter();
    const slow = (store: AccountLeaseStore): AccountLeaseStore => ({
      ...renewals.around(store),
      claim: async (accountId) => {
        await new Promise((r) => setTimeout(r, 220));
        return store.claim(accountId);
      },
    });
    const ids = Array.from({ length: 10 }, (_, i) => `acc-${i}`);
    for (const id of ids) await linkedAccount(id);
    const { logs } = await start({ leaseSec: 1.5, leases: slow });
    await world
      .db()
      .until("all ten held and connected", () =>
        ids.every((id) => account(id)?.owner?.workerId === "w1" && account(id)?.status === "connected"),
      );
    // Two more renewal passes (every half second) with every lease kept.
    const seen = renewals.count();
    await world.db().until("two more passes", () => renewals.count() >= seen + 2 * ids.length);
    assert.deepEqual(
      logs.filter((l) => l.message === "account_lease_lost").map((l) => [l.accountId, l.reason]),
      [],
    );
  });

  it("keeps its lease through a burst of account changes: passes do not queue one per change", async () => {
    // Every pass tries to claim acc-free and loses it slowly (another worker's claim wins).
    let passes = 0;
    const contested = (store: AccountLeaseStore): AccountLeaseStore => ({
      ...store,
      claim: async (accountId) => {
        if (accountId !== "acc-free") return store.claim(accountId);
        passes++;
        await new Promise((r) => setTimeout(r, 250));
        return { kind: "held", until: Date.now() + 60_000 };
      },
    });
    await linkedAccount("acc-1");
    const { logs } = await start({ leaseSec: 1.5, leases: contested });
    await accountUntil("connected", (a) => a.status === "connected");
    await world.putAccount("acc-free", { status: "connecting" });
    // Twenty changes elsewhere (other workers' accounts moving): twenty passes queued would take 5 s.
    for (let i = 0; i < 20; i++) await world.putAccount(`elsewhere-${i}`, { status: "removed" });
    await world.db().until("passes for 2 s of leases", () => passes >= 8);
    assert.deepEqual(
      logs.filter((l) => l.message === "account_lease_lost").map((l) => [l.accountId, l.reason]),
      [],
    );
    assert.equal(account("acc-1")?.owner?.workerId, "w1");
  });

  it("claims past the accounts it loses: a batch of lost claims does not hold back the free one behind it", async () => {
    const lost = Array.from({ length: 9 }, (_, i) => `acc-lost-${i}`);
    const contested = (store: AccountLeaseStore): AccountLeaseStore => ({
      ...store,
      claim: async (accountId) =>
        lost.includes(accountId) ? { kind: "held", until: Date.now() + 60_000 } : store.claim(accountId),
    });
    // Seen first, so the first batch is all lost claims.
    for (const id of lost) await linkedAccount(id);
    await linkedAccount("acc-free");
    await start({ leases: contested });
    await accountUntil("the free one claimed and connected", (a) => a.status === "connected", "acc-free");
    assert.equal(account("acc-free")?.owner?.workerId, "w1");
  });

  it("lets the socket go at once when another worker has taken the lease", async () => {
    await linkedAccount();
    const { next } = await start();
    await accountUntil("connected", (a) => a.status === "connected");
    await world.expireLeases();
    assert.equal((await world.accountLeases("w2").claim("acc-1")).kind, "claimed");
    await next("account_lease_lost", (l) => l.reason === "lease_taken");
    assert.equal(network().hasSocket("acc-1"), false);
    assert.equal(account()?.owner?.workerId, "w2");
  });

  it("on 401 deletes the session, marks the account logged out and gives the lease back", async () => {
    await linkedAccount();
    await start();
    await accountUntil("connected", (a) => a.status === "connected");
    network().disconnect("acc-1", 401);
    const loggedOut = await accountUntil("logged out", (a) => a.status === "logged_out");
    assert.deepEqual([leaseGivenBack(loggedOut), loggedOut.lastDisconnect?.code], [true, 401]);
    assert.ok(loggedOut.sessionClearedAt);
    assert.equal(world.db().sessions.has("acc-1"), false);
  });

  it("on 428 records the close and connects again with the same session", async () => {
    await linkedAccount();
    await start();
    await accountUntil("connected", (a) => a.status === "connected");
    network().disconnect("acc-1", 428);
    const back = await accountUntil("reconnected", (a) => a.reconnectCount === 1 && a.status === "connected");
    assert.equal(back.lastDisconnect?.code, 428);
    assert.equal(back.owner?.workerId, "w1");
  });

  it("cools down after too many closes in an hour: the next socket waits for the cool-down", async () => {
    const cooldownMs = 400;
    await linkedAccount();
    const { next } = await start({ reconnect: { baseMs: 5, maxMs: 20, perHour: 2, cooldownMs } });
    for (let close = 1; close <= 2; close++) {
      await accountUntil("connected", (a) => a.status === "connected" && a.reconnectCount === close - 1);
      network().disconnect("acc-1", 428);
    }
    await accountUntil("connected", (a) => a.status === "connected" && a.reconnectCount === 2);
    const closedAt = Date.now();
    network().disconnect("acc-1", 428);
    await next("account_reconnect_cooldown");
    const cooling = await accountUntil("the cool-down recorded", (a) => a.reconnectCount === 3);
    assert.equal(cooling.status, "disconnected");
    assert.ok(cooling.reconnectCooldownUntil);
    const back = await accountUntil("connected after the cool-down", (a) => a.status === "connected");
    assert.ok(Date.now() - closedAt >= cooldownMs, `reconnected after ${Date.now() - closedAt} ms`);
    assert.equal(back.reconnectCooldownUntil, null);
  });

  it("an account cooling down stays down across a change of holder: the new one waits for the stored cool-down", async () => {
    const reconnect = { baseMs: 5, maxMs: 20, perHour: 1, cooldownMs: 1_500 };
    const { first, cooling } = await cooledDown(reconnect);
    const untilMs = cooling.reconnectCooldownUntil!.toMillis();
    // A deploy: the holder gives the lease back, another worker claims the account.
    stopped(first.manager);
    await first.manager.stop();
    const second = await start({ workerId: "w2", reconnect });
    const waiting = await second.next("account_cooldown_waits");
    assert.equal(waiting.accountId, "acc-1");
    const back = await accountUntil("connected by w2", (a) => a.status === "connected" && a.owner?.workerId === "w2");
    assert.ok(world.db().clock.now() >= untilMs, `reconnected ${untilMs - world.db().clock.now()} ms early`);
    assert.equal(back.reconnectCooldownUntil, null);
  });

  it("a crashed holder's cooling account is claimed by another worker, which does not connect it", async () => {
    const reconnect = { baseMs: 5, maxMs: 20, perHour: 1, cooldownMs: 3_600_000 };
    const { first } = await cooledDown(reconnect);
    // The holder dies without a word: its lease runs out (ten minutes of the hour's cool-down).
    stopped(first.manager);
    await world.expireLeases();
    const second = await start({ workerId: "w2", reconnect });
    await second.next("account_cooldown_waits");
    assert.equal(account()?.owner?.workerId, "w2", "the lease is held");
    assert.equal(network().hasSocket("acc-1"), false, "no socket during the cool-down");
    assert.equal(account()?.status, "disconnected");
    await first.manager.stop();
  });

  it("resuming after inbound backpressure leaves an account that is cooling down alone", async () => {
    const reconnect = { baseMs: 5, maxMs: 20, perHour: 1, cooldownMs: 1_500 };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding: { on: boolean } = { on: true };
    await linkedAccount("acc-1");
    await linkedAccount("acc-2");
    const { next } = await start({
      reconnect,
      inbound: {
        capacity: 2,
        store: (store) => ({
          ...store,
          store: async (accountId, m) => (holding.on && (await held), store.store(accountId, m)),
        }),
      },
    });
    await accountUntil("acc-2 connected", (a) => a.status === "connected", "acc-2");
    await accountUntil("acc-1 connected", (a) => a.status === "connected");
    network().disconnect("acc-1", 428);
    await accountUntil("acc-1 connected again", (a) => a.status === "connected" && a.reconnectCount === 1);
    network().disconnect("acc-1", 428);
    await next("account_reconnect_cooldown");
    const untilMs = (
      await accountUntil("cooling", (a) => !!a.reconnectCooldownUntil)
    ).reconnectCooldownUntil!.toMillis();
    // acc-2's contacts fill the inbound queue: every socket pauses; then it drains and they resume.
    for (const n of [1, 2])
      network().inbound("acc-2", { messageId: `M${n}`, fromJid: "40711111111@s.whatsapp.net", text: `${n}` });
    await next("inbound_backpressure_on");
    holding.on = false;
    release();
    await next("inbound_backpressure_off");
    await accountUntil("acc-2 connected after the resume", (a) => a.status === "connected", "acc-2");
    await accountUntil("acc-1 connected", (a) => a.status === "connected");
    assert.ok(world.db().clock.now() >= untilMs, `acc-1 reconnected ${untilMs - world.db().clock.now()} ms early`);
  });

  it("what a contact sends while the account has no open socket arrives after its next login, stored once", async () => {
    await linkedAccount();
    // No worker holds acc-1 yet: WhatsApp keeps the message for the offline device.
    const sent = { messageId: "3EB0OFFLINE", fromJid: "40711111111@s.whatsapp.net", text: "are you open?" };
    assert.equal(network().inbound("acc-1", sent), "held");
    await start();
    await accountUntil("connected", (a) => a.status === "connected");
    const stored = await world
      .db()
      .until("the held message stored", () =>
        [...world.db().threadMessages.values()].find((m) => m.text === sent.text),
      );
    assert.equal(stored.direction, "in");
    assert.equal([...world.db().threadMessages.values()].filter((m) => m.text === sent.text).length, 1);
  });

  it("shows a new QR when one is asked for (regenerate QR)", async () => {
    await start();
    await world.putAccount("acc-1", { status: "pending_qr" });
    const first = (await accountUntil("a QR", (a) => a.qr !== null)).qr;
    const current = account()!;
    world.db().putAccount("acc-1", { ...current, qrRequestedAt: world.db().now() });
    const second = await accountUntil("another QR", (a) => a.qr !== null && a.qr !== first);
    assert.equal(second.status, "pending_qr");
  });

  it("at shutdown gives every lease back and keeps the sessions", async () => {
    await linkedAccount("acc-1");
    await linkedAccount("acc-2");
    const { manager } = await start();
    await accountUntil("acc-1 connected", (a) => a.status === "connected", "acc-1");
    await accountUntil("acc-2 connected", (a) => a.status === "connected", "acc-2");
    stopped(manager);
    await manager.stop();
    for (const id of ["acc-1", "acc-2"]) {
      assert.deepEqual([leaseGivenBack(account(id)), account(id)?.status], [true, "disconnected"]);
      assert.ok(world.db().sessions.get(id)?.creds);
      assert.equal(network().hasSocket(id), false);
    }
  });

  /** Lease store wrapper: the `connected` status write throws (as Firestore's CANCELLED did) while `fails()`. */
  const connectedWriteFails =
    (fails: () => boolean) =>
    (store: AccountLeaseStore): AccountLeaseStore => ({
      ...store,
      setStatus: async (accountId, epoch, status, extra) => {
        if (status === "connected" && fails()) throw new Error("1 CANCELLED: call already cancelled");
        return store.setStatus(accountId, epoch, status, extra);
      },
    });

  it("a connection event whose write fails is a close: a new socket follows and the queue is delivered", async () => {
    await linkedAccount("acc-1");
    let failures = 0;
    const { logs } = await start({ leases: connectedWriteFails(() => failures++ === 0) });
    await world.putOutboxEntry("req-1", { toJid: "40712345678@s.whatsapp.net" });
    await world.db().until("req-1 sent", () => world.db().outbox.get("req-1")?.status === "sent");
    assert.equal(failures, 2);
    const closes = logs.filter((l) => l.message === "account_disconnected").map((l) => l.reason);
    assert.deepEqual(closes, ["handler failed: 1 CANCELLED: call already cancelled"]);
    assert.equal(account()?.owner?.workerId, "w1");
  });

  it("a write that keeps failing cannot loop logins: the hourly close limit cools the account down", async () => {
    await linkedAccount("acc-1");
    const { next, logs } = await start({
      leases: connectedWriteFails(() => true),
      reconnect: { ...FAST_RECONNECT, perHour: 2 },
    });
    await next("account_reconnect_cooldown");
    const failed = logs.filter((l) => l.message === "account_connection_handler_failed").length;
    assert.equal(failed, 3, "one login per close allowed in the hour, and the one past it");
  });

  it("a shutdown during a login waits for its session read and then reads no more (Firestore closes next)", async () => {
    await linkedAccount("acc-1");
    const calls: { call: string; settled: boolean; afterStop: boolean }[] = [];
    let stopDone = false;
    let slowOpen: Promise<"opened" | "fenced"> | undefined;
    let openAsked!: () => void;
    const loginReading = new Promise<void>((resolve) => (openAsked = resolve));
    const watched = (store: AccountLeaseStore): AccountLeaseStore => ({
      ...store,
      session: (accountId, epoch) => {
        const session = store.session(accountId, epoch);
        const watch =
          <A extends unknown[], R>(call: string, run: (...args: A) => Promise<R>) =>
          (...args: A): Promise<R> => {
            const seen = { call, settled: false, afterStop: stopDone };
            calls.push(seen);
            const result = run(...args);
            void result.finally(() => (seen.settled = true)).catch(() => undefined);
            return result;
          };
        return {
          ...session,
          // The login's first read is slow: the shutdown starts while it is in flight.
          open: watch("open", () => {
            openAsked();
            return (slowOpen = new Promise((r) => setTimeout(r, 100)).then(() => session.open()));
          }),
          readCreds: watch("readCreds", () => session.readCreds()),
          readKeys: watch("readKeys", (type: string, ids: string[]) => session.readKeys(type, ids)),
          commit: watch("commit", (change: Parameters<typeof session.commit>[0]) => session.commit(change)),
        };
      },
    });
    const { manager } = await start({ leases: watched });
    await loginReading;
    stopped(manager);
    await manager.stop();
    stopDone = true;
    assert.deepEqual(
      calls.filter((c) => !c.settled).map((c) => c.call),
      [],
      "a session call still in flight when the shutdown ended",
    );
    await slowOpen;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      calls.filter((c) => c.afterStop).map((c) => c.call),
      [],
      "a session call after the shutdown ended",
    );
  });
});
