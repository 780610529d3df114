import assert from "node:assert/strict";
import { HttpsError } from "firebase-functions/https";
import { paths } from "@wa-gateway/core";
import { INCIDENT_TYPES } from "@wa-gateway/core/longrun";
import { securityEvents } from "@wa-gateway/data";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";
import { callAs, captureConsole, loadFunctions } from "../support/functions";
import { seedIncident, seedOutboxEntry } from "../support/longrunFixtures";

const fns = loadFunctions();

async function outcome<T>(call: () => Promise<T>): Promise<{ code: string; result?: T }> {
  const { result, error } = await captureConsole(call);
  if (error === undefined) return { code: "ok", result };
  assert.ok(error instanceof HttpsError, `expected HttpsError, got ${String(error)}`);
  return { code: error.code };
}

describe("the runbook's callables: security events, acknowledge, requeue", () => {
  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice"] });
  });

  it("a permission-denied on another tenant's account is stored as a security event, ids only", async () => {
    const { code } = await outcome(() =>
      callAs(fns.whatsappProxySend, sendPayload({ text: "private words" }), { uid: "mallory" }),
    );
    assert.equal(code, "permission-denied");
    const events = (await securityEvents.all(adminDb()).get()).docs.map((d) => d.data());
    assert.deepEqual(
      events.map((e) => [e.kind, e.uid, e.accountId, e.threadId]),
      [["cross_tenant_refused", "mallory", "acc-1", "thread-1"]],
    );
    assert.doesNotMatch(JSON.stringify(events), /private words/);
  });

  it("a member refused an admin-only call on its own account is not a security event", async () => {
    const { code } = await outcome(() =>
      callAs(fns.whatsappProxyRegenerateQr, { accountId: "acc-1" }, { uid: "alice" }),
    );
    assert.equal(code, "permission-denied");
    assert.equal((await securityEvents.all(adminDb()).get()).size, 0);
  });

  it("whatsappAdminAcknowledgeIncident: admins only; the incident keeps owner, who and when", async () => {
    await seedIncident(adminDb(), "account_down_acc-1_x", {
      type: "account_down",
      key: "acc-1",
      severity: INCIDENT_TYPES.account_down.severity,
      tsStart: new Date(Date.now() - 600_000),
    });
    const req = { incidentId: "account_down_acc-1_x", owner: "alice" };
    assert.equal(
      (await outcome(() => callAs(fns.whatsappAdminAcknowledgeIncident, req, { uid: "alice" }))).code,
      "permission-denied",
    );
    const done = await outcome(() => callAs(fns.whatsappAdminAcknowledgeIncident, req, { uid: "root", admin: true }));
    assert.equal(done.code, "ok");
    const ack = (await adminDb().doc(paths.longrun.incident(req.incidentId)).get()).get("acknowledgement");
    assert.deepEqual([ack.owner, ack.by], ["alice", "admin:root"]);
    const missing = await outcome(() =>
      callAs(fns.whatsappAdminAcknowledgeIncident, { ...req, incidentId: "nope" }, { uid: "root", admin: true }),
    );
    assert.equal(missing.code, "not-found");
  });

  it("whatsappAdminRequeue: a dry run lists, the real run requeues under the same providerMessageId", async () => {
    await seedOutboxEntry(adminDb(), "req_1", {
      status: "failed",
      accountId: "acc-1",
      createdAt: new Date(Date.now() - 600_000),
      failureKind: "attempts_exhausted",
    });
    const admin = { uid: "root", admin: true };
    const dry = await outcome(() =>
      callAs<{ entries: { requestId: string; outcome: string }[] }>(
        fns.whatsappAdminRequeue,
        { sinceMinutes: 60, dryRun: true },
        admin,
      ),
    );
    assert.deepEqual(
      dry.result?.entries.map((e) => [e.requestId, e.outcome]),
      [["req_1", "would_requeue"]],
    );
    const real = await outcome(() =>
      callAs<{ entries: { requestId: string; outcome: string }[] }>(
        fns.whatsappAdminRequeue,
        { sinceMinutes: 60 },
        admin,
      ),
    );
    assert.deepEqual(
      real.result?.entries.map((e) => [e.requestId, e.outcome]),
      [["req_1", "requeued"]],
    );
    const entry = (await adminDb().doc(paths.outboxEntry("req_1")).get()).data()!;
    assert.deepEqual([entry.status, entry.providerMessageId], ["queued", "3EB0req_1"]);
    assert.equal(
      (await outcome(() => callAs(fns.whatsappAdminRequeue, { sinceMinutes: -1 }, admin))).code,
      "invalid-argument",
    );
  });
});
