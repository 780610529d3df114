import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "../support/emulator";
import { callAs, captureConsole, loadFunctionsWithAlertsOff } from "../support/functions";
import { eventually, linkedAccount, workersPerTest } from "../support/worker";

const PROBE_NUMBER = "40799000111@s.whatsapp.net";

describe("probes end to end (worker on the simulated network)", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(90_000);
  let network: SimulatedWhatsApp;
  let fns: ReturnType<typeof loadFunctionsWithAlertsOff>;
  const workers = workersPerTest();

  const run = async (fn: "longrunProbes" | "longrunWatchdog", scheduleTime: Date) => {
    const out = await captureConsole(async () => {
      await fns[fn].run({ scheduleTime: scheduleTime.toISOString(), jobName: "test" } as never);
    });
    if (out.error) throw out.error;
  };
  const probe = async (key: string) => (await adminDb().doc(paths.longrun.probe(key)).get()).data();
  /** Ticks the watchdog until the probe is final. */
  const finished = (key: string) =>
    eventually(
      `probe ${key} final`,
      async () => {
        await run("longrunWatchdog", new Date());
        const p = await probe(key);
        return p && p.result !== "PENDING" ? p : undefined;
      },
      30_000,
    );

  before(() => (fns = loadFunctionsWithAlertsOff()));
  beforeEach(async () => {
    await resetFirestore();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  });

  it("unconfigured probes are SKIPPED with the reason, the queue probe measures, and a rerun of the slot changes nothing", async () => {
    await adminDb().doc(paths.longrun.config).set({ expectedAccounts: 0 });
    const slot = new Date("2025-12-30T00:00:00Z");
    await run("longrunProbes", slot);
    const out = (await probe("OUT_2025123000"))!;
    assert.equal(out.result, "SKIPPED");
    assert.match(out.reason, /probes\.outbound\.accountId/);
    assert.equal((await probe("IN_2025123000"))!.result, "SKIPPED");
    const queue = (await probe("QUEUE_20251230"))!;
    assert.equal(queue.result, "PASS");
    assert.ok(queue.expireAt.toMillis() - queue.startedAt.toMillis() >= 179 * 86_400_000, "kept about 180 days");

    const before = (await adminDb().collection(paths.longrun.probes).get()).docs.map((d) => d.updateTime.toMillis());
    await run("longrunProbes", slot);
    const after = (await adminDb().collection(paths.longrun.probes).get()).docs.map((d) => d.updateTime.toMillis());
    assert.deepEqual(after, before);
  });

  it("the outbound probe sends a real message through the outbox and passes with its latency", async () => {
    await workers.start(network);
    await linkedAccount(network, "main", []);
    await adminDb()
      .doc(paths.longrun.config)
      .set({ expectedAccounts: 1, probes: { outbound: { accountId: "main", toJid: PROBE_NUMBER } } });
    const slot = new Date("2025-12-30T06:00:00Z");
    await run("longrunProbes", slot);
    const result = await finished("OUT_2025123006");
    assert.equal(result.result, "PASS");
    assert.ok(result.latencyMs >= 0 && result.latencyMs < 30_000);
    assert.equal(network.deliveriesTo(PROBE_NUMBER).length, 1);
  });

  it("the inbound probe passes when the main account stores the probe sender's nonce", async () => {
    await workers.start(network);
    await linkedAccount(network, "main", []);
    await linkedAccount(network, "probe-sender", []);
    await adminDb()
      .doc(paths.longrun.config)
      .set({ probes: { inbound: { senderAccountId: "probe-sender", targetAccountId: "main" } } });
    await run("longrunProbes", new Date("2025-12-30T12:00:00Z"));
    const result = await finished("IN_2025123012");
    assert.equal(result.result, "PASS", result.reason);
  });

  it("a failing probe is retried once before it counts; two failures in a row open probe_fail", async () => {
    await workers.start(network, { SEND_MAX_ATTEMPTS: "1" });
    await linkedAccount(network, "main", []);
    network.failNextSends("main", 100, true);
    await adminDb()
      .doc(paths.longrun.config)
      .set({
        expectedAccounts: 1,
        probes: { outbound: { accountId: "main", toJid: PROBE_NUMBER }, retryAfterSec: 1 },
      });
    await run("longrunProbes", new Date("2025-12-30T06:00:00Z"));
    const first = await finished("OUT_2025123006");
    assert.equal(first.result, "FAIL");
    assert.equal(first.attempt, 2, "failed twice: the first attempt and its retry");
    const open = () => adminDb().collection(paths.longrun.incidents).where("type", "==", "probe_fail").get();
    assert.equal((await open()).size, 0, "one failed probe is not yet an incident");

    await run("longrunProbes", new Date("2025-12-30T12:00:00Z"));
    assert.equal((await finished("OUT_2025123012")).result, "FAIL");
    const [incident] = (await open()).docs;
    assert.equal(incident!.get("key"), "OUT");
    assert.equal(incident!.get("severity"), "P3");
  });

  it("only an admin may start a probe by hand; it gets its own key", async () => {
    await adminDb().doc(paths.longrun.config).set({ expectedAccounts: 0 });
    await assert.rejects(callAs(fns.whatsappAdminRunProbe as never, { type: "QUEUE" }, { uid: "alice" }), {
      code: "permission-denied",
    });
    await assert.rejects(callAs(fns.whatsappAdminRunProbe as never, { type: "PING" }, { uid: "ops", admin: true }), {
      code: "invalid-argument",
    });
    const { result } = await captureConsole(() =>
      callAs<{ probeKey: string; result: string }>(
        fns.whatsappAdminRunProbe as never,
        { type: "QUEUE" },
        { uid: "ops", admin: true },
      ),
    );
    assert.match(result!.probeKey, /^QUEUE_\d{12}_manual$/);
    assert.equal((await probe(result!.probeKey))!.result, "PASS");
  });
});
