import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
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

  it("with APP_CHECK_ENFORCE, a call without an App Check token is unauthenticated and writes nothing", async () => {
    process.env.APP_CHECK_ENFORCE = "true";
    try {
      const alice = { uid: "alice" };
      assert.equal(await httpsCode(() => callAs(fns.whatsappProxySend, sendPayload(), alice)), "unauthenticated");
      assert.equal(await countDocs(adminDb(), "outbox"), 0);
      const withToken = await httpsCode(() =>
        callAs(fns.whatsappProxySend, sendPayload(), alice, { appId: "1:123:web:abc" }),
      );
      assert.equal(withToken, "ok");
    } finally {
      process.env.APP_CHECK_ENFORCE = "false";
    }
  });
});

describe("loading the functions (what firebase-tools does at deploy and in the emulator)", () => {
  it("reads no param while loading: no deploy-time .value() warnings", () => {
    // FUNCTIONS_CONTROL_API is how firebase-tools loads the module to discover the functions.
    const load = spawnSync(process.execPath, ["--import", "tsx", "-e", 'require("./functions/src/index")'], {
      cwd: join(__dirname, "..", ".."),
      encoding: "utf8",
      env: { ...process.env, FUNCTIONS_CONTROL_API: "true" },
    });
    assert.equal(load.status, 0, load.stderr);
    assert.doesNotMatch(load.stdout + load.stderr, /invoked during function deployment/);
  });
});
