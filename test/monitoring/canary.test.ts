import { auditDocumentsAfterEach } from "../support/schemaAudit";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "@wa-gateway/core";
import { REPO_ROOT } from "../../scripts/lib/project";
import { adminDb, resetFirestore } from "../support/emulator";
import { FakeWhatsApp } from "../support/fakeWhatsApp/edge";
import { seedAccount } from "../support/fixtures";
import { captureConsole, loadFreshFunctionsInstance } from "../support/functions";
import { scanThroughRefresh } from "../support/whatsappWorlds";
import { eventually, workersPerTest } from "../support/worker";

/**
 * The staging canary of docs/canary.md, as the operator sets it up, with the fake WhatsApp edge
 * standing in for WhatsApp: two numbers linked to the gateway as accounts (here `canary-a` and
 * `canary-b`, on the real Baileys socket), deploy/canary/monitoring-config.json filled in and
 * written to `wa_metrics/longrun/config/current`, PROBE_EVERY_HOURS=1 in the functions' env, and
 * the scheduled probe function. Nothing but that configuration differs from any other deployment.
 */

const NUMBER_A = "4915100000201";
const NUMBER_B = "4915100000202";

/** The committed canary configuration, filled in as docs/canary.md says: the two account ids and B's number. */
interface CanaryConfig {
  probes: { inbound: { deadlineSec: number }; retryAfterSec: number };
}
function canaryConfig(over: (config: CanaryConfig) => void = () => {}) {
  const text = readFileSync(join(REPO_ROOT, "deploy", "canary", "monitoring-config.json"), "utf8");
  const filled = text
    .replaceAll("ACCOUNT_A", "canary-a")
    .replaceAll("ACCOUNT_B", "canary-b")
    .replaceAll("NUMBER_B", NUMBER_B);
  const config = JSON.parse(filled) as CanaryConfig;
  over(config);
  return config;
}

describe("staging canary: its configuration runs the probes over the real Baileys socket", function () {
  auditDocumentsAfterEach(adminDb);
  this.timeout(120_000);
  const workers = workersPerTest();
  let edge: FakeWhatsApp;
  let fns: ReturnType<typeof loadFreshFunctionsInstance>;

  const run = async (fn: "longrunProbes" | "longrunWatchdog", scheduleTime: Date) => {
    const out = await captureConsole(async () => {
      await fns[fn].run({ scheduleTime: scheduleTime.toISOString(), jobName: "canary" } as never);
    });
    if (out.error) throw out.error;
  };
  const probe = async (key: string) => (await adminDb().doc(paths.longrun.probe(key)).get()).data();
  /** Ticks the watchdog, as Cloud Scheduler does every minute, until the probe is final. */
  const finished = (key: string, timeoutMs = 40_000) =>
    eventually(
      `probe ${key} final`,
      async () => {
        await run("longrunWatchdog", new Date());
        const p = await probe(key);
        return p && p.result !== "PENDING" ? p : undefined;
      },
      timeoutMs,
    );
  /** The operator adds the account and scans its QR with that number's phone. */
  async function link(accountId: string, phone: string) {
    await seedAccount(adminDb(), accountId, { status: "pending_qr", memberUids: [] });
    const account = async () => (await adminDb().doc(paths.account(accountId)).get()).data()!;
    const qr = await eventually(`a QR on ${accountId}`, async () => (await account()).qr as string);
    await scanThroughRefresh(edge, qr, phone, accountId);
    await eventually(`${accountId} connected`, async () => (await account()).status === "connected");
  }

  // The canary's functions/.env.<project>: hourly probes (docs/canary.md). Alerts off here; their
  // delivery to Telegram is the alerting suites' business, the incident is this one's.
  const env = { PROBE_EVERY_HOURS: "1", TELEGRAM_BOT_TOKEN: "", TELEGRAM_CHAT_ID: "" };
  before(() => {
    Object.assign(process.env, env);
    fns = loadFreshFunctionsInstance();
  });
  after(() => {
    delete process.env.PROBE_EVERY_HOURS;
    loadFreshFunctionsInstance(); // the default cadence again, for the suites after this one
  });
  beforeEach(async () => {
    await resetFirestore();
    edge = await FakeWhatsApp.start({ deliveredAfterMs: 100 });
    await workers.start(null, { WA_WEBSOCKET_URL: edge.url });
    await link("canary-a", NUMBER_A);
    await link("canary-b", NUMBER_B);
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(edge.log.join("\n"));
    await edge.close();
  });

  it("OUT (canary-a to the peer's number) and IN (canary-b to canary-a) pass, every hour", async () => {
    const trigger = (fns.longrunProbes as unknown as { __endpoint: { scheduleTrigger: { schedule: string } } })
      .__endpoint.scheduleTrigger;
    assert.equal(trigger.schedule, "0 * * * *", "PROBE_EVERY_HOURS=1 schedules the probes hourly");
    await adminDb().doc(paths.longrun.config).set(canaryConfig());
    // 07:00: a slot of the hourly cadence, not of the default six-hourly one.
    await run("longrunProbes", new Date("2026-12-03T07:00:00Z"));
    const out = await finished("OUT_2026120307");
    assert.equal(out.result, "PASS", out.reason);
    const inbound = await finished("IN_2026120307");
    assert.equal(inbound.result, "PASS", inbound.reason);
    const open = await adminDb().collection(paths.longrun.incidents).where("type", "==", "probe_fail").get();
    assert.equal(open.size, 0);
  });

  it("a message WhatsApp drops fails the IN probe after its retry and opens probe_fail at once (threshold 1)", async () => {
    // Only the timings are shortened, for the test's sake; the rest is the committed configuration.
    await adminDb()
      .doc(paths.longrun.config)
      .set(
        canaryConfig((c) => {
          c.probes.inbound.deadlineSec = 4;
          c.probes.retryAfterSec = 1;
        }),
      );
    edge.setPolicy(NUMBER_A, { kind: "silent" });
    await run("longrunProbes", new Date("2026-12-03T12:00:00Z"));
    const inbound = await finished("IN_2026120312");
    assert.equal(inbound.result, "FAIL");
    assert.equal(inbound.attempt, 2, "the first attempt and its retry");
    assert.match(inbound.reason, /not received within 4 s/);
    const [incident, ...more] = (
      await adminDb().collection(paths.longrun.incidents).where("type", "==", "probe_fail").get()
    ).docs;
    assert.equal(more.length, 0);
    assert.equal(incident?.get("key"), "IN");
    assert.equal(incident?.get("status"), "open");
  });
});
