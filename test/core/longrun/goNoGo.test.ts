import assert from "node:assert/strict";
import { deployCheckpoints, logFindings, parseLogExport, verdictOf, type DeployFacts } from "@wa-gateway/core/longrun";

const healthy = (): DeployFacts => ({
  outbox: { total: 40, sent: 40, failed: 0, queued: 0, processing: 0, retried: 1 },
  oldestQueuedAgeSec: null,
  openIncidents: [],
  heartbeats: { coverage: 1, observedBuckets: 60, expectedBeats: 60, maxGap: null },
  probes: [{ key: "OUT_manual", result: "PASS", reason: null }],
  logs: {
    entries: 500,
    internalErrors: 2,
    authFailures: 3,
    rateLimited: 0,
    retries: 4,
    longestErrorRunSec: 0,
    secrets: [],
  },
  inboundStored: 3,
  crossTenantRefusals: 0,
  mediaSigning: { kind: "signed", serviceAccount: "123-compute@developer.gserviceaccount.com" },
});
const levelOf = (facts: DeployFacts, name: string) => deployCheckpoints(facts).find((c) => c.name === name)?.level;

describe("GO/NO-GO checkpoints and verdict", () => {
  it("a healthy first hour is GO", () => {
    const checkpoints = deployCheckpoints(healthy());
    assert.deepEqual(
      checkpoints.filter((c) => c.level !== "OK").map((c) => c.name),
      [],
    );
    assert.equal(verdictOf(checkpoints), "GO");
  });

  it("one or two warnings are MONITOR, three are NO-GO, one critical is NO-GO", () => {
    const facts = healthy();
    facts.openIncidents = [{ type: "outbox_lag", key: "global", severity: "P2" }];
    assert.equal(verdictOf(deployCheckpoints(facts)), "MONITOR");
    facts.logs!.internalErrors = 6;
    assert.equal(verdictOf(deployCheckpoints(facts)), "MONITOR");
    facts.logs!.retries = 11;
    assert.equal(verdictOf(deployCheckpoints(facts)), "NO-GO");
    const critical = healthy();
    critical.openIncidents = [{ type: "logged_out", key: "acc-1", severity: "P1" }];
    assert.equal(verdictOf(deployCheckpoints(critical)), "NO-GO");
  });

  it("failed-send rate: OK to 5 %, WARNING to 10 %, CRITICAL above; no finished send is OK", () => {
    const at = (failed: number) => {
      const facts = healthy();
      facts.outbox = { ...facts.outbox, sent: 100 - failed, failed };
      return levelOf(facts, "failed sends");
    };
    assert.deepEqual([at(5), at(6), at(10), at(11)], ["OK", "WARNING", "WARNING", "CRITICAL"]);
    const none = healthy();
    none.outbox = { total: 2, sent: 0, failed: 0, queued: 2, processing: 0, retried: 0 };
    assert.equal(levelOf(none, "failed sends"), "OK");
  });

  it("log counts follow the runbook's decision matrix", () => {
    const at = (field: "internalErrors" | "authFailures" | "rateLimited" | "retries", n: number, name: string) => {
      const facts = healthy();
      facts.logs = { ...facts.logs!, [field]: n };
      return levelOf(facts, name);
    };
    assert.deepEqual(
      [
        at("internalErrors", 5, "internal errors"),
        at("internalErrors", 6, "internal errors"),
        at("internalErrors", 16, "internal errors"),
      ],
      ["OK", "WARNING", "CRITICAL"],
    );
    assert.deepEqual(
      [at("authFailures", 19, "401/403"), at("authFailures", 20, "401/403"), at("authFailures", 51, "401/403")],
      ["OK", "WARNING", "CRITICAL"],
    );
    assert.deepEqual(
      [at("rateLimited", 5, "429"), at("rateLimited", 6, "429"), at("rateLimited", 21, "429")],
      ["OK", "WARNING", "CRITICAL"],
    );
    assert.deepEqual(
      [at("retries", 10, "retries"), at("retries", 11, "retries"), at("retries", 31, "retries")],
      ["OK", "WARNING", "CRITICAL"],
    );
  });

  it("a single unmasked secret is CRITICAL", () => {
    const facts = healthy();
    facts.logs!.secrets = [{ kind: "jwt", sample: "ey***9x", where: "2025-12-30T10:05:00Z abc" }];
    assert.equal(levelOf(facts, "unmasked secrets"), "CRITICAL");
    assert.equal(verdictOf(deployCheckpoints(facts)), "NO-GO");
  });

  it("no heartbeat since the deploy is CRITICAL; no probe yet is a WARNING, a failed one CRITICAL", () => {
    const silent = healthy();
    silent.heartbeats = { coverage: 0, observedBuckets: 0, expectedBeats: 60, maxGap: null };
    assert.equal(levelOf(silent, "heartbeat coverage"), "CRITICAL");
    const unprobed = healthy();
    unprobed.probes = [];
    assert.equal(levelOf(unprobed, "probes"), "WARNING");
    unprobed.probes = [{ key: "OUT_2025123012", result: "FAIL", reason: "not sent within 120 s" }];
    assert.equal(levelOf(unprobed, "probes"), "CRITICAL");
  });
});

describe("log export findings", () => {
  const FROM = Date.parse("2025-12-30T10:00:00Z");
  const TO = FROM + 3_600_000;
  const entry = (over: Record<string, unknown>) => ({ timestamp: "2025-12-30T10:10:00Z", insertId: "id1", ...over });

  it("counts errors, refusals, rate limits and retries the way this system logs them", () => {
    const findings = logFindings(
      [
        entry({ severity: "ERROR", jsonPayload: { message: "outbox_deliver_error" } }),
        entry({ severity: "INFO", jsonPayload: { message: "whatsapp_proxy_send", outcome: "internal" } }),
        entry({ httpRequest: { status: 503 } }),
        entry({ jsonPayload: { message: "whatsapp_proxy_send", outcome: "permission-denied" } }),
        entry({ httpRequest: { status: 401 } }),
        entry({ jsonPayload: { message: "whatsapp_proxy_send", outcome: "resource-exhausted" } }),
        entry({ severity: "WARNING", jsonPayload: { message: "outbox_send_failed", result: "retrying" } }),
        entry({ severity: "WARNING", jsonPayload: { message: "outbox_send_failed", result: "failed" } }),
        entry({ timestamp: "2025-12-30T09:59:59Z", severity: "ERROR" }),
      ],
      FROM,
      TO,
    );
    // The continuous-error run has its own test (runbookRules.test.ts).
    const { longestErrorRunSec: _run, ...counts } = findings;
    assert.deepEqual(
      { ...counts, secrets: findings.secrets.length },
      { entries: 8, internalErrors: 3, authFailures: 2, rateLimited: 1, retries: 1, secrets: 0 },
    );
  });

  it("finds a token anywhere in an entry and says where, masked", () => {
    const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq";
    const findings = logFindings([entry({ textPayload: `GET /bot${token}/sendMessage` })], FROM, TO);
    assert.equal(findings.secrets.length, 1);
    assert.equal(findings.secrets[0]!.kind, "telegram_bot_token");
    assert.match(findings.secrets[0]!.where, /2025-12-30T10:10:00Z id1/);
    assert.ok(!JSON.stringify(findings).includes(token));
  });

  it("reads a JSON array or JSON lines, and names a line that is not JSON", () => {
    assert.equal(parseLogExport('[{"severity":"INFO"},{"severity":"ERROR"}]').length, 2);
    assert.equal(parseLogExport('{"severity":"INFO"}\n\n{"severity":"ERROR"}\n').length, 2);
    assert.throws(() => parseLogExport('{"severity":"INFO"}\nnot json'), /line 2/);
  });

  it("functions that cannot sign media URLs are NO-GO, with the grant to run; unchecked adds nothing", () => {
    const facts = healthy();
    const serviceAccount = "123-compute@developer.gserviceaccount.com";
    facts.mediaSigning = { kind: "no_self_grant", serviceAccount };
    const checkpoint = deployCheckpoints(facts).find((c) => c.name === "media URL signing")!;
    assert.equal(checkpoint.level, "CRITICAL");
    assert.match(
      checkpoint.detail,
      /add-iam-policy-binding 123-compute@\S+ --member serviceAccount:123-compute@\S+ --role roles\/iam.serviceAccountTokenCreator/,
    );
    assert.equal(verdictOf(deployCheckpoints(facts)), "NO-GO");
    facts.mediaSigning = { kind: "refused", serviceAccount, reason: "IAM Credentials API has not been used" };
    assert.match(deployCheckpoints(facts).find((c) => c.name === "media URL signing")!.detail, /iamcredentials/);
    facts.mediaSigning = null;
    assert.equal(levelOf(facts, "media URL signing"), undefined);
    assert.equal(verdictOf(deployCheckpoints(facts)), "GO");
  });
});
