import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { handleRegenerateQr, handleRemoveAccount } from "@wa-gateway/core/proxies";
import { firestoreAccountStore } from "../../functions/src/stores/accountAdminStore";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "../support/emulator";
import { leaseGivenBack, seedAccount, seedLinkedSession } from "../support/fixtures";
import { eventually, workersPerTest } from "../support/worker";

const account = async (id: string) => (await adminDb().doc(paths.account(id)).get()).data()!;
const adminDeps = () => ({ store: firestoreAccountStore(adminDb()), now: () => new Date() });
const root = { uid: "root", admin: true };

describe("worker account ownership against the emulator", function () {
  this.timeout(60_000);
  let network: SimulatedWhatsApp;
  const workers = workersPerTest();
  const worker = (env: Record<string, string> = {}) => workers.start(network, env);

  beforeEach(async () => {
    await resetFirestore();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null, autoLinkMs: 50 });
  });

  it("two workers, one account: exactly one holds it and opens a socket", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    const [a, b] = await Promise.all([worker(), worker()]);
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    const owner = (await account("acc-1")).owner;
    assert.ok([a.workerId, b.workerId].includes(owner.workerId));
    const holders = [a, b].filter((w) => w.accounts.accountStates().length > 0);
    assert.equal(holders.length, 1);
  });

  it("when the holder stops, the other worker takes over without a new QR", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    const a = await worker();
    await eventually("connected by a", async () => (await account("acc-1")).status === "connected");
    const b = await worker();
    await a.stop("test");
    workers.stopped(a);
    await eventually("b holds it", async () => (await account("acc-1")).owner?.workerId === b.workerId);
    await eventually("connected again", async () => (await account("acc-1")).status === "connected");
    assert.equal((await account("acc-1")).qr, null);
  });

  it("an expired lease of a crashed worker is taken over", async () => {
    await seedAccount(adminDb(), "acc-1", {
      status: "connected",
      owner: { workerId: "crashed", leaseUntil: new Date(Date.now() - 1000), epoch: 9 },
    });
    await seedLinkedSession(adminDb(), "acc-1", "40711111111@s.whatsapp.net");
    const w = await worker();
    await eventually("taken over", async () => (await account("acc-1")).owner?.workerId === w.workerId);
    assert.equal((await account("acc-1")).owner.epoch, 10);
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
  });

  it("losing the lease closes the socket at once", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    const w = await worker();
    await eventually(
      "connected",
      async () => network.isOpen("acc-1") && (await account("acc-1")).status === "connected",
    );
    await adminDb()
      .doc(paths.account("acc-1"))
      .update({ owner: { workerId: "usurper", leaseUntil: Timestamp.fromMillis(Date.now() + 60_000), epoch: 99 } });
    await eventually("socket closed", () => !network.hasSocket("acc-1"));
    assert.equal(w.accounts.accountStates().length, 0);
  });

  it("holds at most MAX_ACCOUNTS_PER_WORKER accounts", async () => {
    for (const id of ["acc-1", "acc-2", "acc-3"]) await seedAccount(adminDb(), id, { status: "pending_qr" });
    const w = await worker({ MAX_ACCOUNTS_PER_WORKER: "2" });
    await eventually("two held", () => w.accounts.accountStates().length === 2);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(w.accounts.accountStates().length, 2);
  });

  it("a logged-out account (401) is marked logged_out, its session deleted and its lease released", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    await worker();
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    network.disconnect("acc-1", 401);
    await eventually("logged_out", async () => (await account("acc-1")).status === "logged_out");
    await eventually("released", async () => leaseGivenBack(await account("acc-1")));
    assert.equal((await adminDb().doc(paths.waSession("acc-1")).get()).exists, false);
    assert.equal((await account("acc-1")).lastDisconnect.code, 401);
  });

  it("a transient disconnect (428) reconnects by itself and counts the reconnect", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    await worker();
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    const before = (await account("acc-1")).reconnectCount;
    network.disconnect("acc-1", 428);
    await eventually("reconnected", async () => {
      const a = await account("acc-1");
      return a.status === "connected" && a.reconnectCount > before;
    });
    // The watchdog's reconnect-loop check reads these, not a sample of every account.
    const now = await account("acc-1");
    const recent = now.recentDisconnects as { toMillis(): number }[];
    assert.equal(recent.length, now.reconnectCount, "every close of this test is within the hour");
    assert.ok(Date.now() - recent.at(-1)!.toMillis() < 60_000);
  });

  it("an account closing more often than WA_RECONNECTS_PER_HOUR cools down instead of reconnecting", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    const w = await worker({ WA_RECONNECTS_PER_HOUR: "2", WA_RECONNECT_COOLDOWN_SEC: "3600" });
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    for (const close of [1, 2]) {
      network.disconnect("acc-1", 428);
      await eventually(`reconnected after close ${close}`, async () => {
        const a = await account("acc-1");
        return a.status === "connected" && a.reconnectCount === close;
      });
    }
    network.disconnect("acc-1", 428);
    const cooling = await eventually("cooling down", async () => {
      const a = await account("acc-1");
      return a.reconnectCooldownUntil ? a : undefined;
    });
    assert.equal(cooling.status, "disconnected");
    const untilMs = (cooling.reconnectCooldownUntil as Timestamp).toMillis();
    assert.ok(Math.abs(untilMs - (Date.now() + 3_600_000)) < 60_000, "cool-down is the configured hour");
    assert.ok(w.logs.some((l) => l.message === "account_reconnect_cooldown" && l.accountId === "acc-1"));
    const [state] = w.accounts.accountStates();
    assert.deepEqual(
      { state: state!.state, lastCloseCode: state!.lastCloseCode, reconnects: state!.reconnects },
      { state: "closed", lastCloseCode: 428, reconnects: 3 },
    );
    assert.equal(state!.cooldownUntil, new Date(untilMs).toISOString());
  });

  it("removing an account logs it out and deletes its session", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    await worker();
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    await handleRemoveAccount(adminDeps(), root, { accountId: "acc-1" });
    await eventually("released", async () => leaseGivenBack(await account("acc-1")));
    assert.equal((await account("acc-1")).status, "removed");
    assert.equal((await adminDb().doc(paths.waSession("acc-1")).get()).exists, false);
    assert.equal(network.hasSocket("acc-1"), false);
  });

  it("a QR that expires unscanned leaves needs_qr; regenerate brings a fresh QR", async () => {
    network = new SimulatedWhatsApp({ autoLinkMs: null, qrTtlMs: 1500 }); // long enough to be seen under load
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    await worker();
    const firstQr = await eventually("QR", async () => (await account("acc-1")).qr);
    await eventually("needs_qr", async () => (await account("acc-1")).status === "needs_qr");
    await handleRegenerateQr(adminDeps(), root, { accountId: "acc-1" });
    const secondQr = await eventually("a new QR", async () => {
      const qr = (await account("acc-1")).qr;
      return qr && qr !== firstQr ? qr : undefined;
    });
    assert.notEqual(secondQr, firstQr);
  });

  it("shutdown closes sockets without logging out and releases every lease", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr" });
    const w = await worker();
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    assert.equal(await w.stop("SIGTERM"), "clean");
    workers.stopped(w);
    const after = await account("acc-1");
    assert.ok(leaseGivenBack(after));
    assert.equal(after.status, "disconnected");
    assert.equal((await adminDb().doc(paths.waSession("acc-1")).get()).exists, true, "session kept for the next owner");
  });
});
