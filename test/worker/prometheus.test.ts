import assert from "node:assert/strict";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { freePort, httpAnswers, waitUntil } from "../../scripts/lib/ports";
import { adminDb, resetFirestore } from "../support/emulator";
import { exited, spawnWorker } from "../support/workerProcess";
import { sendPayload } from "../support/fixtures";
import { parseScrape, type MetricFamily } from "../support/prometheusText";
import { eventually, linkedAccount, workersPerTest } from "../support/worker";

const scrape = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
};
const value = (family: MetricFamily | undefined, labels: Record<string, string> = {}) =>
  Number(
    family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? Number.NaN,
  );

describe("worker /metrics (Prometheus text format)", function () {
  this.timeout(60_000);
  const workers = workersPerTest();
  let network: SimulatedWhatsApp;

  beforeEach(async () => {
    await resetFirestore();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  });

  it("exposes process, delivery, lease, account and outbox families after a send", async () => {
    const worker = await workers.start(network, { HEARTBEATS: "on", HEARTBEAT_LOCK_POLL_SEC: "1" });
    const first = await scrape(worker.port);
    assert.equal(first.get("wa_outbox_entries")?.metrics.length, 2, "the very first scrape has the outbox depth");
    await linkedAccount(network);
    await handleSend(
      { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 100, windowSec: 60 } },
      { uid: "alice", admin: false },
      sendPayload(),
    );
    await eventually(
      "a send counted",
      async () => value((await scrape(worker.port)).get("wa_outbox_sends_total"), { outcome: "sent" }) === 1,
    );
    const families = await eventually("heartbeat lock held", async () => {
      const f = await scrape(worker.port);
      return value(f.get("wa_heartbeat_lock_holder")) === 1 ? f : undefined;
    });

    const expected: Record<string, MetricFamily["type"]> = {
      process_cpu_seconds_total: "COUNTER",
      process_resident_memory_bytes: "GAUGE",
      nodejs_eventloop_lag_seconds: "GAUGE",
      wa_outbox_sends_total: "COUNTER",
      wa_transport_send_calls_total: "COUNTER",
      wa_outbox_send_duration_seconds: "HISTOGRAM",
      wa_outbox_claims_total: "COUNTER",
      wa_lease_takeovers_total: "COUNTER",
      wa_account_disconnects_total: "COUNTER",
      wa_connected_accounts: "GAUGE",
      wa_heartbeat_lock_holder: "GAUGE",
      wa_outbox_entries: "GAUGE",
      wa_outbox_lag_seconds: "GAUGE",
      wa_outbox_figures_timestamp_seconds: "GAUGE",
      wa_worker_info: "GAUGE",
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(families.get(name)?.type, type, `${name} is a ${type}`);
    }
    assert.equal(value(families.get("wa_connected_accounts")), 1);
    assert.equal(value(families.get("wa_outbox_claims_total"), { result: "claimed" }), 1);
    assert.equal(value(families.get("wa_transport_send_calls_total")), 1);
    assert.equal(Number(families.get("wa_outbox_send_duration_seconds")?.metrics[0]?.count), 1);
    assert.ok(value(families.get("wa_outbox_entries"), { status: "queued" }) >= 0);
    assert.ok(value(families.get("wa_outbox_figures_timestamp_seconds")) > Date.now() / 1000 - 60);
  });

  it("uses closed label sets only: no message id, phone number or account id in any label", async () => {
    const worker = await workers.start(network);
    await linkedAccount(network, "acc-7", ["alice"]);
    network.disconnect("acc-7", 599);
    // The close is handled after the disconnect call returns: wait for it to be counted, not only
    // for a connected socket (which the one being closed still is for a moment).
    const families = await eventually("the 599 counted and the account reconnected", async () => {
      const scraped = await scrape(worker.port);
      const counted = value(scraped.get("wa_account_disconnects_total"), { code: "other" }) === 1;
      return counted && worker.accounts.connectedCount() === 1 ? scraped : undefined;
    });

    const allowed: Record<string, RegExp> = {
      outcome: /^(sent|fenced|retry_scheduled|failed)$/,
      result: /^(claimed|leased|not_due|final|missing)$/,
      lease: /^(account|outbox)$/,
      reason: /^(new_contact_budget|reachout_timelock)$/,
      code: /^(\d{3}|other|none)$/,
      status: /^(queued|processing)$/,
      le: /^([\d.]+|\+Inf)$/,
      quantile: /^[\d.]+$/,
      version: /.*/,
      commit: /.*/,
    };
    let series = 0;
    for (const family of families.values()) {
      if (!family.name.startsWith("wa_")) continue;
      for (const m of family.metrics) {
        series++;
        for (const [label, v] of Object.entries(m.labels ?? {})) {
          assert.ok(allowed[label], `${family.name} has an unexpected label ${label}`);
          assert.match(v, allowed[label]!, `${family.name}{${label}="${v}"}`);
          assert.doesNotMatch(v, /acc-7|@|\d{7,}/, `${family.name}{${label}="${v}"} names an account or a number`);
        }
      }
    }
    assert.equal(
      value(families.get("wa_account_disconnects_total"), { code: "other" }),
      1,
      "unknown code 599 is other",
    );
    assert.ok(series < 60, `${series} wa_ series`);
  });

  it("answers within its bound from what is known when Firestore does not answer (and so does /metrics-json)", async () => {
    const port = await freePort();
    const worker = spawnWorker("metrics-dead-firestore", {
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${await freePort()}`, // nothing listens there
      PORT: String(port),
      HEARTBEATS: "off",
    });
    try {
      await waitUntil("worker /healthz", () => httpAnswers(`http://127.0.0.1:${port}/healthz`), { timeoutMs: 15_000 });
      const t0 = Date.now();
      const families = await scrape(port);
      assert.ok(Date.now() - t0 < 5_000, `answered in ${Date.now() - t0} ms`);
      assert.equal(value(families.get("wa_outbox_figures_timestamp_seconds")), 0, "no figures read, and it says so");
      assert.equal(families.get("wa_outbox_entries")?.metrics.length ?? 0, 0, "no made-up depth");
      assert.ok(value(families.get("process_cpu_seconds_total")) > 0, "what is known is still there");
      const t1 = Date.now();
      const json = await fetch(`http://127.0.0.1:${port}/metrics-json`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(json.status, 200);
      assert.ok(Date.now() - t1 < 5_000, `/metrics-json answered in ${Date.now() - t1} ms`);
    } finally {
      worker.kill("SIGKILL");
      await exited(worker);
    }
  });
});
