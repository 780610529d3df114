import { Timestamp } from "firebase-admin/firestore";
import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { runDeliveryCheck, runWatchdog } from "@wa-gateway/core/longrun";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts } from "@wa-gateway/data";
import { firestoreIncidentTriage } from "../../functions/src/stores/incidentTriageStore";
import { seedHealthySystem, watchdogDeps } from "../../scripts/lib/watchdogFixtures";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedOutboxEntry } from "../support/longrunFixtures";
import { watchedLogger } from "../support/memoryWorker";
import { eventually } from "../support/worker";
import { firestoreUnhandledStanzaReports } from "../../worker/src/longrun/unhandledStanzaStore";

const MIN = 60_000;

async function incidentsOf(type: string) {
  const snap = await adminDb().collection(paths.longrun.incidents).where("type", "==", type).get();
  return snap.docs.map((d) => ({ id: d.id, ...(d.data() as { key: string; status: string; severity: string }) }));
}

describe("the runbook's remaining alerts, on the emulator", function () {
  this.timeout(60_000);
  const T = Date.parse("2026-01-10T12:00:00Z");

  beforeEach(async () => {
    await resetFirestore();
    await seedHealthySystem(adminDb(), 1, T);
  });

  it("an account down 6 minutes opens exactly one account_down, which resolves when it reconnects", async () => {
    await accounts.write(adminDb(), "acc-qr").set({
      ...newAccountDocument({ createdBy: "t", now: new Date(T - 3_600_000), status: "needs_qr" }),
      // As the worker leaves it: the lease given back with the needs_qr status.
      owner: { workerId: "w", epoch: 1, leaseUntil: new Date(T - 6 * MIN), releasedAt: new Date(T - 6 * MIN) },
      lastDisconnect: { code: 401, at: new Date(T - 6 * MIN) },
    });
    await runWatchdog(watchdogDeps(adminDb()), T - 2 * MIN, T - 2 * MIN);
    assert.deepEqual(await incidentsOf("account_down"), [], "down 4 minutes: not yet");
    await runWatchdog(watchdogDeps(adminDb()), T, T);
    await runWatchdog(watchdogDeps(adminDb()), T + MIN, T + MIN);
    const open = await incidentsOf("account_down");
    assert.deepEqual(
      open.map((i) => [i.key, i.status]),
      [["acc-qr", "open"]],
    );
    await accounts.doc(adminDb(), "acc-qr").update({
      status: "connected",
      owner: { workerId: "w", epoch: 2, leaseUntil: Timestamp.fromMillis(T + 3_600_000) },
    });
    await runWatchdog(watchdogDeps(adminDb()), T + 2 * MIN, T + 2 * MIN);
    assert.deepEqual(
      (await incidentsOf("account_down")).map((i) => [i.key, i.status]),
      [["acc-qr", "resolved"]],
    );
  });

  it("a Cloud API token expiring within a week opens cloud_token_expiring, a P1 the last day, resolved by a new token", async () => {
    const DAY = 86_400_000;
    await accounts.write(adminDb(), "acc-cloud").set({
      ...newAccountDocument({ createdBy: "t", now: new Date(T - DAY), status: "connected" }),
      owner: { workerId: "w", epoch: 1, leaseUntil: new Date(T + 3_600_000) },
      cloudApiToken: { expiresAt: new Date(T + 8 * DAY), checkedAt: new Date(T) },
    });
    await runWatchdog(watchdogDeps(adminDb()), T, T);
    assert.deepEqual(await incidentsOf("cloud_token_expiring"), [], "8 days left: not yet");
    await runWatchdog(watchdogDeps(adminDb()), T + 2 * DAY, T + 2 * DAY);
    assert.deepEqual(
      (await incidentsOf("cloud_token_expiring")).map((i) => [i.key, i.status, i.severity]),
      [["acc-cloud", "open", "P2"]],
    );
    await runWatchdog(watchdogDeps(adminDb()), T + 7.5 * DAY, T + 7.5 * DAY);
    assert.equal((await incidentsOf("cloud_token_expiring"))[0]!.severity, "P1");
    // The operator stores a system user's token, which never expires; the worker records it.
    await accounts.doc(adminDb(), "acc-cloud").update({
      cloudApiToken: { expiresAt: null, checkedAt: Timestamp.fromMillis(T + 7.6 * DAY) },
    });
    await runWatchdog(watchdogDeps(adminDb()), T + 7.7 * DAY, T + 7.7 * DAY);
    assert.deepEqual(
      (await incidentsOf("cloud_token_expiring")).map((i) => i.status),
      ["resolved"],
    );
  });

  it("an account closed with 405 opens one client_version_rejected incident, which resolves when it connects", async () => {
    await accounts.write(adminDb(), "acc-old").set({
      ...newAccountDocument({ createdBy: "t", now: new Date(T - 3_600_000), status: "disconnected" }),
      owner: { workerId: "w", epoch: 1, leaseUntil: new Date(T + 60_000) },
      lastDisconnect: { code: 405, at: new Date(T - MIN) },
      recentDisconnects: [new Date(T - MIN)],
    });
    await runWatchdog(watchdogDeps(adminDb()), T, T);
    const open = await incidentsOf("client_version_rejected");
    assert.deepEqual(
      open.map((i) => [i.key, i.status, i.severity]),
      [["global", "open", "P1"]],
    );
    await accounts.doc(adminDb(), "acc-old").update({ status: "connected" });
    await runWatchdog(watchdogDeps(adminDb()), T + MIN, T + MIN);
    assert.deepEqual(
      (await incidentsOf("client_version_rejected")).map((i) => i.status),
      ["resolved"],
    );
  });

  it("a stanza nothing handles opens unhandled_stanza once a second account has received it", async () => {
    const reports = firestoreUnhandledStanzaReports(adminDb(), watchedLogger("w1").logger);
    const stanza = { kind: "notification" as const, type: "tomorrows_feature", shape: "<notification id type/>" };
    const accountsOf = async () =>
      (await adminDb().doc(paths.longrun.unhandledStanza("notification", "tomorrows_feature")).get()).get(
        "accountIds",
      ) as string[] | undefined;
    reports.report("acc-1", stanza);
    reports.report("acc-1", stanza);
    await eventually("acc-1 reported", async () => (await accountsOf())?.length === 1);
    await runWatchdog(watchdogDeps(adminDb()), T, T);
    assert.deepEqual(await incidentsOf("unhandled_stanza"), [], "one account is not yet several");
    reports.report("acc-2", stanza);
    await eventually("acc-2 reported", async () => (await accountsOf())?.length === 2);
    await runWatchdog(watchdogDeps(adminDb()), T + MIN, T + MIN);
    assert.deepEqual(
      (await incidentsOf("unhandled_stanza")).map((i) => [i.key, i.status]),
      [["notification:tomorrows_feature", "open"]],
    );
  });

  it("a 30 % failure hour alerts overall and for its account; a 9 % one does not", async () => {
    const seed = async (account: string, sent: number, failed: number) => {
      for (let i = 0; i < sent + failed; i++) {
        await seedOutboxEntry(adminDb(), `${account}-${i}`, {
          status: i < sent ? "sent" : "failed",
          accountId: account,
          createdAt: new Date(T - 30 * MIN + i * 1000),
        });
      }
    };
    await seed("acc-bad", 14, 6);
    await seed("acc-ok", 30, 3);
    // A failure from two hours ago is outside the window.
    await seedOutboxEntry(adminDb(), "old", {
      status: "failed",
      accountId: "acc-ok",
      createdAt: new Date(T - 2 * 3_600_000),
    });
    const result = await runDeliveryCheck(watchdogDeps(adminDb()), T, T);
    assert.equal(result.status, "done");
    // acc-bad: 6 of 20 failed (30 %); acc-ok: 3 of 33 (9 %); overall 9 of 53 (17 %).
    assert.deepEqual((await incidentsOf("delivery_rate")).map((i) => i.key).sort(), ["acc-bad", "global"]);
    assert.deepEqual(await incidentsOf("error_rate"), [], "9 errors in the hour: under 20");
  });

  it("an acknowledged incident stops re-alerting, escalates on severity, and keeps who and when", async () => {
    await accounts.write(adminDb(), "acc-down").set({
      ...newAccountDocument({ createdBy: "t", now: new Date(T - 3_600_000), status: "disconnected" }),
      owner: { workerId: "w", epoch: 1, leaseUntil: new Date(T + 3 * 3_600_000) },
      lastDisconnect: { code: 428, at: new Date(T - 6 * MIN) },
    });
    // Reminders every minute, so the hour of silence is only the acknowledgement's doing.
    await adminDb().doc(paths.longrun.config).update({ alertRepeatSec: 60 });
    const sent: string[] = [];
    const alerts = {
      enabled: true,
      send: async (messages: string[]) => {
        sent.push(...messages);
        return { delivered: messages.length, error: null };
      },
    };
    const deps = () => ({ ...watchdogDeps(adminDb()), alerts });
    await runWatchdog(deps(), T, T);
    assert.equal(sent.filter((m) => /account down/i.test(m)).length, 1, "opened and announced");
    const [incident] = await incidentsOf("account_down");
    assert.equal(
      await firestoreIncidentTriage(adminDb(), "t").acknowledge({
        incidentId: incident!.id,
        owner: "alice",
        by: "operator:bob",
        nowMs: T + MIN,
      }),
      "acknowledged",
    );
    const ack = (await adminDb().doc(paths.longrun.incident(incident!.id)).get()).get("acknowledgement");
    assert.deepEqual([ack.owner, ack.by, ack.severity, ack.at.toMillis()], ["alice", "operator:bob", "P2", T + MIN]);
    // Minutes later it is due a reminder; acknowledged, it gets none.
    sent.length = 0;
    await runWatchdog(deps(), T + 5 * MIN, T + 5 * MIN);
    // (Heartbeats are not this test's concern: no worker beats here, so their alert comes and goes.)
    assert.deepEqual(
      sent.filter((m) => /account down/i.test(m)),
      [],
      "no reminder once acknowledged",
    );
    // Down past 30 minutes it is a P1: announced at once, and the record says so.
    await runWatchdog(deps(), T + 25 * MIN, T + 25 * MIN);
    assert.equal(sent.filter((m) => /P1 STILL OPEN.*account down/i.test(m)).length, 1, sent.join("\n"));
    assert.equal((await incidentsOf("account_down"))[0]!.severity, "P1");
  });
});
