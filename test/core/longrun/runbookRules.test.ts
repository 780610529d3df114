import assert from "node:assert/strict";
import { DisconnectCode } from "@wa-gateway/core/accounts";
import { DEFAULT_MONITORING_CONFIG } from "@wa-gateway/core/documents";
import {
  deployCheckpoints,
  evaluateAccountsDown,
  evaluateDelivery,
  evaluateRollupTargets,
  logFindings,
  reconcileIncidents,
  verdictOf,
  type AccountLiveness,
  type DeployFacts,
  type Evaluation,
  type OpenIncident,
} from "@wa-gateway/core/longrun";
import { parseSince } from "@wa-gateway/core/outbox";

const NOW = Date.parse("2026-01-10T12:00:00Z");
const MIN = 60_000;
const config = DEFAULT_MONITORING_CONFIG;

describe("account down (one incident per account, whatever the cause)", () => {
  const account = (over: Partial<AccountLiveness>): AccountLiveness => ({
    id: "acc-1",
    status: "connected",
    leaseUntilMs: NOW + MIN,
    cooldownUntilMs: null,
    lastDisconnectMs: null,
    lastDisconnectCode: null,
    createdMs: NOW - 86_400_000,
    ...over,
  });
  const one = (over: Partial<AccountLiveness>) => evaluateAccountsDown([account(over)], config, NOW)[0]!;

  it("is down past accountDownMinutes, not before, and names the cause with what to do", () => {
    assert.equal(one({ status: "needs_qr", lastDisconnectMs: NOW - 4 * MIN }).active, false);
    const qr = one({ status: "needs_qr", lastDisconnectMs: NOW - 6 * MIN });
    assert.equal(qr.active, true);
    assert.equal(qr.atMs, NOW - 6 * MIN);
    assert.match(qr.reason, /needs_qr.*whatsappProxyRegenerateQr/);
    assert.match(
      one({ status: "disconnected", lastDisconnectMs: NOW - 6 * MIN }).reason,
      /disconnected.*lastDisconnect/,
    );
    assert.match(
      one({ status: "connecting", lastDisconnectMs: NOW - 6 * MIN, cooldownUntilMs: NOW + 10 * MIN }).reason,
      /cooling_down/,
    );
    const unheld = one({ status: "connected", leaseUntilMs: NOW - 7 * MIN });
    assert.equal(unheld.active, true);
    assert.match(unheld.reason, /no_holder.*worker is running/);
  });

  it("an account that needs a QR is told to get one, though no worker holds it (the lease is given back on purpose)", () => {
    const qr = one({ status: "needs_qr", leaseUntilMs: NOW - 6 * MIN, lastDisconnectMs: NOW - 6 * MIN });
    assert.equal(qr.active, true);
    assert.match(qr.reason, /needs_qr.*whatsappProxyRegenerateQr/);
  });

  it("a connected account under a live lease, a logged-out or a removed one is not down", () => {
    assert.equal(one({}).active, false);
    assert.equal(one({ status: "logged_out", lastDisconnectMs: NOW - 60 * MIN }).active, false);
    assert.equal(one({ status: "removed", leaseUntilMs: null }).active, false);
  });

  it("a Cloud API account whose token is refused is told to store a new token, even while it cools down", () => {
    const refused = one({
      status: "disconnected",
      lastDisconnectMs: NOW - 6 * MIN,
      lastDisconnectCode: DisconnectCode.cloudApiTokenRefused,
      cooldownUntilMs: NOW + 10 * MIN,
    });
    assert.equal(refused.active, true);
    assert.match(refused.reason, /token_refused.*new version of the secret/);
  });

  it("escalates to P1 past accountDownP1Minutes", () => {
    assert.equal(one({ status: "disconnected", lastDisconnectMs: NOW - 10 * MIN }).severity, undefined);
    assert.equal(one({ status: "disconnected", lastDisconnectMs: NOW - 31 * MIN }).severity, "P1");
  });
});

describe("delivery rate and error rate over the last hour", () => {
  const active = (sent: number, failed: number) =>
    evaluateDelivery({ overall: { sent, failed }, perAccount: [{ accountId: "acc-1", sent, failed }] }, config)
      .filter((e) => e.active)
      .map((e) => `${e.type}/${e.key}`);

  it("a 30 % failure hour alerts, overall and for the account; 9 % does not", () => {
    assert.deepEqual(active(70, 30), [
      "delivery_rate/global",
      "error_rate/global",
      "delivery_rate/acc-1",
      "error_rate/acc-1",
    ]);
    assert.deepEqual(active(91, 9), []);
  });

  it("needs more than deliveryRateMinMessages finished; errors alert above errorsPerHour alone", () => {
    assert.deepEqual(active(5, 5), []);
    assert.deepEqual(active(1000, 21), ["error_rate/global", "error_rate/acc-1"]);
  });

  it("more failed than sent is a P1 (the rollback line)", () => {
    const [rate] = evaluateDelivery({ overall: { sent: 40, failed: 60 }, perAccount: [] }, config);
    assert.equal(rate!.severity, "P1");
  });
});

describe("acknowledged incidents", () => {
  const open = (over: Partial<OpenIncident> = {}): OpenIncident => ({
    id: "account_down_acc-1_x",
    type: "account_down",
    key: "acc-1",
    tsStartMs: NOW - 3 * 3_600_000,
    lastNotifiedMs: NOW - 2 * 3_600_000,
    severity: "P2",
    acknowledgedSeverity: null,
    ...over,
  });
  const still = (over: Partial<Evaluation> = {}): Evaluation => ({
    type: "account_down",
    key: "acc-1",
    active: true,
    reason: "down",
    ...over,
  });
  const kinds = (incident: OpenIncident, e: Evaluation) =>
    reconcileIncidents({ open: [incident], evaluations: [e], nowMs: NOW, repeatMs: 3_600_000 }).map(
      (a) => `${a.kind}${a.kind === "remind" ? `:${a.severity}` : ""}`,
    );

  it("an open incident re-alerts on its schedule; acknowledged, it stops", () => {
    assert.deepEqual(kinds(open(), still()), ["remind:P2"]);
    assert.deepEqual(kinds(open({ acknowledgedSeverity: "P2" }), still()), []);
  });

  it("an acknowledged incident alerts again when it escalates, at once, and when it resolves", () => {
    const acked = open({ acknowledgedSeverity: "P2", lastNotifiedMs: NOW - MIN });
    assert.deepEqual(kinds(acked, still({ severity: "P1" })), ["remind:P1"]);
    assert.deepEqual(kinds(acked, still({ active: false })), ["resolve"]);
  });
});

describe("daily targets from the rollup", () => {
  const rollup = (passRate: number | null, opened: number, complete = true) => ({
    date: "2026-01-09",
    complete,
    probes: { OUT: { pass: 0, fail: 0, skipped: 0, passRate, meanLatencyMs: null } },
    incidents: { opened } as never,
  });
  const active = (r: ReturnType<typeof rollup>) =>
    evaluateRollupTargets(r, config)
      .filter((e) => e.active)
      .map((e) => e.type);

  it("probe pass rate under 90 % and more than 10 incidents a day open their incidents", () => {
    assert.deepEqual(active(rollup(0.85, 11)), ["probe_pass_rate", "incident_count"]);
    assert.deepEqual(active(rollup(0.9, 10)), []);
    assert.deepEqual(active(rollup(null, 0)), []);
  });

  it("an incomplete day decides nothing", () => {
    assert.deepEqual(evaluateRollupTargets(rollup(0.1, 50, false), config), []);
  });
});

describe("GO/NO-GO rollback triggers", () => {
  const healthy = (): DeployFacts => ({
    outbox: { total: 40, sent: 40, failed: 0, queued: 0, processing: 0, retried: 0 },
    oldestQueuedAgeSec: null,
    openIncidents: [],
    heartbeats: { coverage: 1, observedBuckets: 60, expectedBeats: 60, maxGap: null },
    probes: [{ key: "OUT_manual", result: "PASS", reason: null }],
    logs: null,
    inboundStored: 2,
    crossTenantRefusals: 0,
    mediaSigning: null,
  });
  const verdict = (facts: DeployFacts) => verdictOf(deployCheckpoints(facts));

  it("healthy is GO; > 50 % failing is NO-GO", () => {
    assert.equal(verdict(healthy()), "GO");
    assert.equal(verdict({ ...healthy(), outbox: { ...healthy().outbox, sent: 40, failed: 41 } }), "NO-GO");
  });

  it("GO needs at least one inbound and one outbound success", () => {
    assert.equal(verdict({ ...healthy(), inboundStored: 0 }), "MONITOR");
    assert.equal(verdict({ ...healthy(), outbox: { ...healthy().outbox, total: 0, sent: 0 } }), "MONITOR");
  });

  it("any refused cross-tenant access is NO-GO until reviewed", () => {
    assert.equal(verdict({ ...healthy(), crossTenantRefusals: 1 }), "NO-GO");
  });

  it("more than 5 minutes of continuous 500 errors is NO-GO; errors broken by a success are not continuous", () => {
    const at = (min: number) => new Date(NOW + min * MIN).toISOString();
    const errors = (mins: number[]) => mins.map((m) => ({ timestamp: at(m), httpRequest: { status: 500 } }));
    const continuous = logFindings(errors([0, 1, 2, 3, 4, 5, 6]), NOW - MIN, NOW + 60 * MIN);
    assert.equal(continuous.longestErrorRunSec, 360);
    assert.equal(verdict({ ...healthy(), logs: continuous }), "NO-GO");
    const broken = logFindings(
      [...errors([0, 1, 2, 4, 5, 6]), { timestamp: at(3), httpRequest: { status: 200 } }],
      NOW - MIN,
      NOW + 60 * MIN,
    );
    assert.equal(broken.longestErrorRunSec, 120);
  });
});

describe("requeue --since", () => {
  it("reads 30m, 1h and 2d; anything else is not a duration", () => {
    assert.deepEqual(["30m", "1h", "2d"].map(parseSince), [30, 60, 2880]);
    assert.deepEqual(["1", "h", "1w", "-1h"].map(parseSince), [undefined, undefined, undefined, undefined]);
  });
});
