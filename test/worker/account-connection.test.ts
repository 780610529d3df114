import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { accountLeaseStore } from "../../worker/src/accounts/accountLeaseStore";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "../support/emulator";
import { faultyEmulatorFirestore } from "../support/faultyFirestore";
import { seedAccount, sendPayload, seedLinkedSession } from "../support/fixtures";
import { eventually, linkedAccount, simulatedWorldPerTest, workersPerTest } from "../support/worker";

const account = async (id: string) => (await adminDb().doc(paths.account(id)).get()).data()!;
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
const send = (clientMessageId: string) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 10_000, windowSec: 60 } },
    { uid: "alice", admin: false },
    sendPayload({ clientMessageId }),
  );
const logged = (logs: Record<string, unknown>[], event: string, fields: Record<string, unknown> = {}) =>
  logs.some((l) => l.message === event && Object.entries(fields).every(([k, v]) => l[k] === v));

describe("worker account connection: no account dead while it says connected", function () {
  this.timeout(60_000);
  const { workers, network } = simulatedWorldPerTest({ deliveredReceiptMs: null });

  it("a disconnect whose record fails once is recorded again and the account reconnects", async () => {
    const faults = faultyEmulatorFirestore();
    await workers.start(network(), {}, faults.db);
    await linkedAccount(network());
    const before = (await account("acc-1")).reconnectCount;
    faults.failNextCommits(1, (data) => "lastDisconnect" in data);
    network().disconnect("acc-1", 428);
    await eventually("reconnected, the disconnect counted", async () => {
      const a = await account("acc-1");
      return network().isOpen("acc-1") && a.status === "connected" && a.reconnectCount > before;
    });
    assert.equal(faults.injected(), 1);
    const { requestId } = await send("after-reconnect");
    await eventually("sent on the new socket", async () => (await outbox(requestId)).status === "sent");
  });

  it("a disconnect that cannot be recorded at all still reconnects", async () => {
    const faults = faultyEmulatorFirestore();
    await workers.start(network(), {}, faults.db);
    await linkedAccount(network());
    faults.failNextCommits(1000, (data) => "lastDisconnect" in data);
    network().disconnect("acc-1", 428);
    await eventually("socket open again", () => network().isOpen("acc-1"));
    const { requestId } = await send("after-reconnect");
    await eventually("sent on the new socket", async () => (await outbox(requestId)).status === "sent");
  });

  it("a close during the open handler's status write leaves no outbox loop on the dead socket", async () => {
    const faults = faultyEmulatorFirestore();
    const w = await workers.start(network(), { SEND_MAX_ATTEMPTS: "5" }, faults.db);
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    await eventually("QR written", async () => (await account("acc-1")).qr);
    const connectedWrite = faults.holdNextCommit((data) => data.status === "connected");
    assert.ok(network().scan("acc-1"));
    await connectedWrite.reached;
    network().disconnect("acc-1", 428);
    connectedWrite.release();
    // Sent while the account is between sockets: they must wait for the next one, not burn attempts.
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await send(`m-${i}`)).requestId);
    for (const id of ids) await eventually(`sent ${id}`, async () => (await outbox(id)).status === "sent");
    for (const id of ids) assert.equal((await outbox(id)).attempts, 1, "no attempt burnt on a dead socket");
    assert.ok(!logged(w.logs, "outbox_send_failed"), "nothing was sent on a closed socket");
  });
});

describe("worker account connection: nothing outlives the worker", function () {
  this.timeout(60_000);
  const workers = workersPerTest();
  beforeEach(() => resetFirestore());

  it("a worker stopped while its open handler writes the status leaves no delivery loop behind", async () => {
    const first = new SimulatedWhatsApp({ deliveredReceiptMs: null });
    const faults = faultyEmulatorFirestore();
    const a = await workers.start(first, {}, faults.db);
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    await eventually("QR written", async () => (await account("acc-1")).qr);
    const connectedWrite = faults.holdNextCommit((data) => data.status === "connected");
    assert.ok(first.scan("acc-1"));
    await connectedWrite.reached;
    const { requestId } = await send("waiting");
    await a.stop("test");
    workers.stopped(a);
    connectedWrite.release(); // the open handler resumes after the stop
    // The next worker links the account and sends the message: it must be the first to try.
    const second = new SimulatedWhatsApp({ deliveredReceiptMs: null, autoLinkMs: 20 });
    await workers.start(second);
    await eventually("sent by the next worker", async () => (await outbox(requestId)).status === "sent");
    assert.equal((await outbox(requestId)).attempts, 1, "no loop of the stopped worker claimed it");
    assert.equal(first.rawSends.length, 0);
  });
});

describe("worker account lease hygiene", function () {
  this.timeout(60_000);
  const { workers, network } = simulatedWorldPerTest({ deliveredReceiptMs: null, autoLinkMs: 20 });

  it("a worker whose own lease ran out (renewals failing) lets the socket go, though nobody took it", async () => {
    const faults = faultyEmulatorFirestore();
    const w = await workers.start(network(), {}, faults.db);
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    await eventually("connected", async () => (await account("acc-1")).status === "connected");
    faults.failNextCommits(1000, (data) => "owner.leaseUntil" in data);
    await eventually(
      "socket let go when the lease expired",
      () => logged(w.logs, "account_lease_lost", { accountId: "acc-1", reason: "lease_not_renewed" }),
      20_000,
    );
  });

  it("one account whose renewal throws does not stop the renewal of the others", async () => {
    const faults = faultyEmulatorFirestore();
    const w = await workers.start(network(), {}, faults.db);
    for (const id of ["acc-1", "acc-2"]) await seedAccount(adminDb(), id, { status: "pending_qr" });
    await eventually(
      "both connected",
      async () => (await account("acc-1")).status === "connected" && (await account("acc-2")).status === "connected",
    );
    faults.failNextCommits(1000, (data, path) => "owner.leaseUntil" in data && path === paths.account("acc-1"));
    await eventually(
      "acc-1 let go",
      () => logged(w.logs, "account_lease_lost", { accountId: "acc-1", reason: "lease_not_renewed" }),
      20_000,
    );
    const acc2 = await account("acc-2");
    assert.equal(acc2.owner.workerId, w.workerId);
    assert.ok((acc2.owner.leaseUntil as Timestamp).toMillis() > Date.now(), "acc-2's lease was renewed meanwhile");
    assert.ok(!logged(w.logs, "account_lease_lost", { accountId: "acc-2" }));
  });

  it("a stale holder cannot delete the session of the account's new holder", async () => {
    await seedAccount(adminDb(), "acc-1", {
      owner: { workerId: "new-holder", leaseUntil: new Date(Date.now() + 60_000), epoch: 8 },
    });
    await seedLinkedSession(adminDb(), "acc-1", "40711111111@s.whatsapp.net");
    const stale = accountLeaseStore(adminDb(), "old-holder", 30);
    const result = await stale.session("acc-1", 7).clear();
    assert.equal(result, "fenced");
    assert.equal((await adminDb().doc(paths.waSession("acc-1")).get()).exists, true);
  });
});
