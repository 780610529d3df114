import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import {
  GatewayError,
  handleAddAccount,
  handleGetAccounts,
  handleRegenerateQr,
  handleRemoveAccount,
  type Caller,
} from "@wa-gateway/core/proxies";
import { firestoreAccountStore } from "../../functions/src/stores/accountAdminStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedAccount } from "../support/fixtures";

const admin: Caller = { uid: "root", admin: true };
const alice: Caller = { uid: "alice", admin: false };
const deps = () => ({ store: firestoreAccountStore(adminDb()), now: () => new Date() });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return err.code;
  }
  return "ok";
}

describe("account callables' handlers against the emulator", () => {
  beforeEach(resetFirestore);

  it("an admin adds an account in pending_qr with its members", async () => {
    const { accountId } = await handleAddAccount(deps(), admin, {
      label: "Sales",
      phoneNumber: "+40712345678",
      memberUids: ["alice"],
    });
    const doc = (await adminDb().doc(paths.account(accountId)).get()).data()!;
    assert.equal(doc.status, "pending_qr");
    assert.equal(doc.phoneNumber, "40712345678");
    assert.deepEqual(doc.memberUids, ["alice"]);
    assert.equal(doc.createdBy, "root");
  });

  it("a non-admin may not add, regenerate or remove", async () => {
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"] });
    assert.equal(await code(handleAddAccount(deps(), alice, {})), "permission-denied");
    assert.equal(await code(handleRegenerateQr(deps(), alice, { accountId: "acc-1" })), "permission-denied");
    assert.equal(await code(handleRemoveAccount(deps(), alice, { accountId: "acc-1" })), "permission-denied");
  });

  it("a user sees only the accounts listing them; an admin sees all", async () => {
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"] });
    await seedAccount(adminDb(), "acc-2", { memberUids: ["bob"] });
    const mine = await handleGetAccounts(deps(), alice, {});
    assert.deepEqual(
      mine.accounts.map((a) => a.accountId),
      ["acc-1"],
    );
    const all = await handleGetAccounts(deps(), admin, undefined);
    assert.deepEqual(
      all.accounts.map((a) => a.accountId),
      ["acc-1", "acc-2"],
    );
  });

  it("the account view carries the QR but no owner or session fields", async () => {
    await seedAccount(adminDb(), "acc-1", {
      memberUids: ["alice"],
      owner: { workerId: "w1", leaseUntil: new Date(), epoch: 3 },
    });
    const [view] = (await handleGetAccounts(deps(), alice, {})).accounts;
    assert.deepEqual(Object.keys(view!).sort(), [
      "accountId",
      "label",
      "lastDisconnect",
      "pairingCode",
      "phoneNumber",
      "qr",
      "qrExpiresAt",
      "status",
      "transport",
      "updatedAt",
    ]);
  });

  describe("a Cloud API account", () => {
    const cloudApi = {
      phoneNumberId: "106540352242922",
      businessAccountId: "102290129340398",
      tokenSecret: "projects/p1/secrets/wa-token-sales/versions/latest",
    };

    it("is added with its number and token secret, connecting at once: no QR to show", async () => {
      const { accountId } = await handleAddAccount(deps(), admin, { label: "Sales (Cloud API)", cloudApi });
      const doc = (await adminDb().doc(paths.account(accountId)).get()).data()!;
      assert.deepEqual([doc.status, doc.transport, doc.cloudApi], ["connecting", "cloud_api", cloudApi]);
      const [view] = (await handleGetAccounts(deps(), admin, {})).accounts;
      assert.deepEqual([view!.transport, view!.qr], ["cloud_api", null]);
    });

    it("refuses a token given in place of its secret's name, changing nothing", async () => {
      const request = { cloudApi: { ...cloudApi, tokenSecret: "EAAG1234567890abcdef" } };
      assert.equal(await code(handleAddAccount(deps(), admin, request)), "invalid-argument");
      assert.equal((await adminDb().collection("accounts").get()).size, 0);
    });

    it("refuses a number another account already has", async () => {
      await handleAddAccount(deps(), admin, { cloudApi });
      assert.equal(await code(handleAddAccount(deps(), admin, { cloudApi })), "failed-precondition");
      assert.equal((await adminDb().collection("accounts").get()).size, 1);
    });

    it("two admins adding one number at the same instant: one account gets it, the other is refused", async () => {
      const outcomes = await Promise.allSettled([
        handleAddAccount(deps(), admin, { cloudApi }),
        handleAddAccount(deps(), admin, { cloudApi }),
      ]);
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ["fulfilled", "rejected"]);
      const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      assert.equal((refused.reason as { code: string }).code, "failed-precondition");
      assert.equal((await adminDb().collection("accounts").get()).size, 1);
    });

    it("a removed account's number can be added again", async () => {
      const { accountId } = await handleAddAccount(deps(), admin, { cloudApi });
      await handleRemoveAccount(deps(), admin, { accountId });
      const again = await handleAddAccount(deps(), admin, { cloudApi });
      assert.notEqual(again.accountId, accountId);
    });

    it("has no QR to regenerate, and no pairing code", async () => {
      const { accountId } = await handleAddAccount(deps(), admin, { cloudApi });
      assert.equal(await code(handleRegenerateQr(deps(), admin, { accountId })), "failed-precondition");
      assert.equal(
        await code(handleAddAccount(deps(), admin, { cloudApi, phoneNumber: "+40712345678" })),
        "invalid-argument",
      );
    });
  });

  it("regenerating a QR is refused for a connected account and accepted for a disconnected one", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "connected" });
    assert.equal(await code(handleRegenerateQr(deps(), admin, { accountId: "acc-1" })), "failed-precondition");
    await seedAccount(adminDb(), "acc-1", { status: "needs_qr" });
    await handleRegenerateQr(deps(), admin, { accountId: "acc-1" });
    assert.equal((await adminDb().doc(paths.account("acc-1")).get()).get("status"), "pending_qr");
    assert.equal(await code(handleRegenerateQr(deps(), admin, { accountId: "nope" })), "not-found");
  });

  it("removing an account without a live owner deletes its session keys and keeps history", async () => {
    const db = adminDb();
    await seedAccount(db, "acc-1", { status: "disconnected" });
    await db.doc(`${paths.waSession("acc-1")}/keys/pre-key-1`).set({ k: "secret" });
    await db.doc(paths.thread("t1")).set({ accountId: "acc-1" });
    const result = await handleRemoveAccount(deps(), admin, { accountId: "acc-1" });
    assert.equal(result.alreadyRemoved, false);
    assert.equal((await db.doc(paths.account("acc-1")).get()).get("status"), "removed");
    assert.equal((await db.doc(`${paths.waSession("acc-1")}/keys/pre-key-1`).get()).exists, false);
    assert.equal((await db.doc(paths.thread("t1")).get()).exists, true);
    assert.equal((await handleRemoveAccount(deps(), admin, { accountId: "acc-1" })).alreadyRemoved, true);
  });

  it("removing an account a worker holds leaves its keys for that worker to delete", async () => {
    const db = adminDb();
    await seedAccount(db, "acc-1", { owner: { workerId: "w1", leaseUntil: new Date(Date.now() + 60_000), epoch: 1 } });
    await db.doc(`${paths.waSession("acc-1")}/keys/pre-key-1`).set({ k: "secret" });
    await handleRemoveAccount(deps(), admin, { accountId: "acc-1" });
    assert.equal((await db.doc(`${paths.waSession("acc-1")}/keys/pre-key-1`).get()).exists, true);
  });
});
