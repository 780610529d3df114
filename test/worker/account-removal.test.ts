import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { handleRegenerateQr, handleRemoveAccount, handleSend } from "@wa-gateway/core/proxies";
import { firestoreAccountStore } from "../../functions/src/stores/accountAdminStore";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "../support/emulator";
import { leaseGivenBack, seedAccount, sendPayload, seedLinkedSession } from "../support/fixtures";
import { eventually, workersPerTest } from "../support/worker";

const root = { uid: "root", admin: true };
const adminDeps = () => ({ store: firestoreAccountStore(adminDb()), now: () => new Date() });
const account = async (id: string) => (await adminDb().doc(paths.account(id)).get()).data()!;
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
const messageStatus = async (requestId: string) =>
  (await adminDb().doc(paths.threadMessage("thread-1", requestId)).get()).get("status");
const send = async (clientMessageId: string) =>
  (
    await handleSend(
      { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 100, windowSec: 60 } },
      { uid: "alice", admin: false },
      sendPayload({ clientMessageId }),
    )
  ).requestId;
const sessionExists = async () => (await adminDb().doc(paths.waSession("acc-1")).get()).exists;

/** Messages queued while the account was reachable, then the account logged out (401) at `atMs`. */
async function loggedOutWithBacklog(atMs: number): Promise<string[]> {
  await seedAccount(adminDb(), "acc-1", { status: "disconnected", memberUids: ["alice"] });
  const ids = [await send("before-logout-1"), await send("before-logout-2")];
  await adminDb()
    .doc(paths.account("acc-1"))
    .update({ status: "logged_out", lastDisconnect: { code: 401, at: Timestamp.fromMillis(atMs) } });
  return ids;
}

describe("removed and logged-out accounts: nothing left behind, every message final", function () {
  this.timeout(60_000);
  const workers = workersPerTest();
  const worker = (env: Record<string, string> = {}) =>
    workers.start(new SimulatedWhatsApp({ deliveredReceiptMs: null, autoLinkMs: 20 }), {
      DORMANT_SWEEP_SEC: "0.5",
      ...env,
    });

  beforeEach(() => resetFirestore());

  it("removing an account whose holder just died still ends with its session deleted", async () => {
    await seedAccount(adminDb(), "acc-1", {
      status: "connected",
      owner: { workerId: "died-a-moment-ago", leaseUntil: new Date(Date.now() + 2000), epoch: 3 },
    });
    await seedLinkedSession(adminDb(), "acc-1", "40711111111@s.whatsapp.net");
    await handleRemoveAccount(adminDeps(), root, { accountId: "acc-1" });
    assert.equal(await sessionExists(), true, "the callable left it to the holder");
    await worker();
    await eventually(
      "session deleted, lease given back",
      async () => !(await sessionExists()) && leaseGivenBack(await account("acc-1")),
    );
    const after = await account("acc-1");
    assert.equal(after.status, "removed");
    assert.ok(after.sessionClearedAt);
  });

  it("a removed account's queued messages fail at once, with the reason, and the client sees failed", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "disconnected", memberUids: ["alice"] });
    const ids = [await send("queued-1"), await send("queued-2")];
    await handleRemoveAccount(adminDeps(), root, { accountId: "acc-1" });
    await worker();
    for (const id of ids) {
      const entry = await eventually(`${id} failed`, async () =>
        (await outbox(id)).status === "failed" ? outbox(id) : undefined,
      );
      assert.equal(entry.lastError, "not sent: the account was removed");
      assert.equal(await messageStatus(id), "failed");
    }
    await eventually("backlog marked resolved", async () => (await account("acc-1")).backlogResolvedAt);
  });

  it("a logged-out account's backlog fails once LOGGED_OUT_HOLD_SEC has passed since the logout", async () => {
    const loggedOutAt = Date.now();
    const ids = await loggedOutWithBacklog(loggedOutAt);
    await worker({ LOGGED_OUT_HOLD_SEC: "2" });
    for (const id of ids) {
      const entry = await eventually(`${id} failed`, async () =>
        (await outbox(id)).status === "failed" ? outbox(id) : undefined,
      );
      assert.match(entry.lastError, /^not sent: the account was logged out/);
      assert.ok((entry.updatedAt as Timestamp).toMillis() >= loggedOutAt + 2000, "not before the hold ended");
      assert.equal(await messageStatus(id), "failed");
    }
  });

  it("a logged-out account re-linked within the hold sends its backlog", async () => {
    const ids = await loggedOutWithBacklog(Date.now());
    await worker({ LOGGED_OUT_HOLD_SEC: "3600" });
    await handleRegenerateQr(adminDeps(), root, { accountId: "acc-1" });
    for (const id of ids) await eventually(`${id} sent`, async () => (await outbox(id)).status === "sent");
  });
});
