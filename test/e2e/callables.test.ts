import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { FirebaseError } from "firebase/app";
import { paths } from "@wa-gateway/core";
import {
  firebaseErrorCode as errorCode,
  startCallableStack,
  type CallableStack,
  type Client,
} from "../support/callableStack";
import { adminDb, resetFirestore } from "../support/emulator";
import { countDocs, seedAccount, sendPayload } from "../support/fixtures";

/** Raw HTTP call of a callable, for what an SDK would never send (no token, a forged one). */
async function rawCall(stack: CallableStack, name: string, data: unknown, bearer?: string) {
  const res = await fetch(`${stack.emulators.functionsUrl}/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ data }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { result?: unknown; error?: { status: string; message: string } },
  };
}

describe("callables end to end (Auth + Functions emulators, real ID tokens)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(180_000);
  let stack: CallableStack;
  let alice: Client;
  let admin: Client;

  before(async () => {
    stack = await startCallableStack();
    alice = await stack.client("alice");
    admin = await stack.client("ops", { admin: true });
  });

  after(() => stack?.stop());

  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: [alice.uid] });
  });

  it("the emulator loads the functions quietly: no param prompt, no deploy-time param warnings", () => {
    assert.match(
      stack.emulators.startupOutput(),
      /Loaded environment variables from functions\/\.env\.demo-wa-gateway/,
    );
    assert.doesNotMatch(stack.emulators.startupOutput(), /Prompting for parameters|invoked during function deployment/);
  });

  it("no token: unauthenticated, nothing written", async () => {
    const res = await rawCall(stack, "whatsappProxySend", sendPayload());
    assert.equal(res.body.error?.status, "UNAUTHENTICATED");
    assert.equal(await countDocs(adminDb(), "outbox"), 0);
  });

  // The Functions emulator trusts the Auth emulator's unsigned tokens, so signature checks
  // are production-only; what it can show is that a token that is not one is refused.
  it("a bad token is refused with 401 before the handler runs", async () => {
    for (const bad of ["not-a-jwt", "a.b.c", `${alice.idToken}x`.replace(/\.[^.]*\./, ".%%%.")]) {
      const res = await rawCall(stack, "whatsappProxySend", sendPayload(), bad);
      assert.equal(res.status, 401, bad);
      assert.equal(res.body.error?.status, "UNAUTHENTICATED");
    }
    assert.equal(await countDocs(adminDb(), "outbox"), 0);
  });

  it("a member's send is queued, and its repeat is a duplicate", async () => {
    const first = await alice.call<{ success: boolean; requestId: string; duplicate: boolean }>(
      "whatsappProxySend",
      sendPayload(),
    );
    assert.equal(first.success, true);
    assert.equal(first.duplicate, false);
    const again = await alice.call<{ requestId: string; duplicate: boolean }>("whatsappProxySend", sendPayload());
    assert.deepEqual(again, { ...first, duplicate: true });
    const outbox = (await adminDb().doc(paths.outboxEntry(first.requestId)).get()).data()!;
    assert.equal(outbox.status, "queued");
    assert.equal(outbox.uid, alice.uid);
  });

  it("a user without the admin claim may not add accounts; an admin may", async () => {
    assert.equal(await errorCode(alice.call("whatsappProxyAddAccount", { label: "x" })), "functions/permission-denied");
    const added = await admin.call<{ accountId: string }>("whatsappProxyAddAccount", {
      label: "Support",
      memberUids: [alice.uid],
    });
    const mine = await alice.call<{ accounts: { accountId: string; status: string }[] }>(
      "whatsappProxyGetAccounts",
      {},
    );
    assert.deepEqual(
      mine.accounts.map((a) => [a.accountId, a.status]).sort(),
      [
        ["acc-1", "connected"],
        [added.accountId, "pending_qr"],
      ].sort(),
    );
  });

  it("invalid input is invalid-argument with the field named", async () => {
    try {
      await alice.call("whatsappProxySend", sendPayload({ toJid: "12" }));
      assert.fail("expected invalid-argument");
    } catch (err) {
      assert.ok(err instanceof FirebaseError);
      assert.equal(err.code, "functions/invalid-argument");
      assert.match(err.message, /^toJid:/);
    }
  });

  it("after removal, sends are failed-precondition", async () => {
    await admin.call("whatsappProxyRemoveAccount", { accountId: "acc-1" });
    assert.equal(await errorCode(alice.call("whatsappProxySend", sendPayload())), "functions/failed-precondition");
  });

  it("a callable that declares a secret runs on local values: nothing asks Google Secret Manager", async () => {
    const res = await admin.call<{ probeKey: string }>("whatsappAdminRunProbe", { type: "QUEUE" });
    assert.match(res.probeKey, /^QUEUE_\d{12}_manual$/);
    assert.doesNotMatch(stack.emulators.output(), /Secret Manager|Trying to access secret/);
  });
});
