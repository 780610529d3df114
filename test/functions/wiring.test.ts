import assert from "node:assert/strict";
import { HttpsError } from "firebase-functions/https";
import { paths } from "@wa-gateway/core";
import { adminDb, resetFirestore } from "../support/emulator";
import { countDocs, seedAccount, sendPayload } from "../support/fixtures";
import { callAs, captureConsole, loadFunctions } from "../support/functions";

const fns = loadFunctions();

async function httpsCode(call: () => Promise<unknown>): Promise<string> {
  const { error } = await captureConsole(call);
  if (error === undefined) return "ok";
  assert.ok(error instanceof HttpsError, `expected HttpsError, got ${String(error)}`);
  return error.code;
}

describe("callable wiring (firebase-functions-test wrap)", () => {
  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"] });
  });

  it("whatsappProxySend without auth is unauthenticated and writes nothing", async () => {
    assert.equal(await httpsCode(() => callAs(fns.whatsappProxySend, sendPayload())), "unauthenticated");
    assert.equal(await countDocs(adminDb(), "outbox"), 0);
  });

  it("whatsappProxySend queues for a member and answers success, requestId, duplicate", async () => {
    const { result: res } = await captureConsole(() =>
      callAs<{ success: boolean; requestId: string; duplicate: boolean }>(fns.whatsappProxySend, sendPayload(), {
        uid: "alice",
      }),
    );
    assert.ok(res);
    assert.equal(res.success, true);
    assert.equal(res.duplicate, false);
    assert.equal((await adminDb().doc(paths.outboxEntry(res.requestId)).get()).get("status"), "queued");
  });

  it("maps core refusals onto HttpsError codes", async () => {
    assert.equal(
      await httpsCode(() => callAs(fns.whatsappProxySend, sendPayload({ text: "" }), { uid: "alice" })),
      "invalid-argument",
    );
    assert.equal(
      await httpsCode(() => callAs(fns.whatsappProxySend, sendPayload({ accountId: "nope" }), { uid: "alice" })),
      "not-found",
    );
    assert.equal(
      await httpsCode(() => callAs(fns.whatsappProxySend, sendPayload(), { uid: "mallory" })),
      "permission-denied",
    );
    assert.equal(await httpsCode(() => callAs(fns.whatsappProxyAddAccount, {}, { uid: "alice" })), "permission-denied");
  });

  it("writes one structured log line per call, without the message text", async () => {
    const { lines } = await captureConsole(() =>
      callAs(fns.whatsappProxySend, sendPayload({ text: "very private words" }), { uid: "alice" }),
    );
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.message, "whatsapp_proxy_send");
    assert.equal(entry.outcome, "ok");
    assert.equal(entry.uid, "alice");
    assert.equal(typeof entry.latencyMs, "number");
    assert.ok(!lines[0]!.includes("very private words"));
  });

  it("the admin claim unlocks the account callables", async () => {
    const root = { uid: "root", admin: true };
    const { result: added } = await captureConsole(() =>
      callAs<{ accountId: string }>(fns.whatsappProxyAddAccount, { label: "Ops" }, root),
    );
    const { result: listed } = await captureConsole(() =>
      callAs<{ accounts: { accountId: string }[] }>(fns.whatsappProxyGetAccounts, {}, root),
    );
    assert.ok(added && listed?.accounts.some((a) => a.accountId === added.accountId));
    await captureConsole(() => callAs(fns.whatsappProxyRemoveAccount, { accountId: added.accountId }, root));
    assert.equal((await adminDb().doc(paths.account(added.accountId)).get()).get("status"), "removed");
  });

  it("an unexpected failure is internal with a generic message", async () => {
    // A hand-edited account whose memberUids is not a list passes validation and breaks deeper.
    await adminDb().doc(paths.account("acc-1")).update({ memberUids: 5 });
    const { error } = await captureConsole(() => callAs(fns.whatsappProxySend, sendPayload(), { uid: "alice" }));
    assert.ok(error instanceof HttpsError);
    assert.equal(error.code, "internal");
    assert.equal(error.message, "Internal error");
  });
});
