import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeType } from "@wa-gateway/core";
import type { IncidentType, Severity } from "@wa-gateway/core/longrun";
import { inboundDedupe } from "@wa-gateway/data";
import { recordRefusedAccess } from "../../functions/src/lib/securityEvents";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedIncident, seedOutboxEntry, seedProbe } from "../support/longrunFixtures";
import { beats, command, MIN, T0 } from "../support/opsCommands";

const DEPLOY = new Date(T0).toISOString();
const HOUR_LATER = new Date(T0 + 60 * MIN).toISOString();
const BOT_TOKEN = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq";

/** `count` outbox entries created during the first hour, `failed` of them failed. */
async function sends(count: number, failed = 0) {
  for (let i = 0; i < count; i++) {
    await seedOutboxEntry(adminDb(), `req_golive_${i}`, {
      status: i < failed ? "failed" : "sent",
      attempts: 1,
      createdAt: new Date(T0 + (i + 1) * 30_000),
    });
  }
}

/** An inbound message stored (its dedupe marker) at `ms`. */
async function inboundStored(ms: number) {
  await inboundDedupe.write(adminDb(), "a1", `IN_${ms}`).set({
    accountId: "a1",
    messageId: `IN_${ms}`,
    threadId: "t1",
    createdAt: new Date(ms),
    expireAt: new Date(ms + 7 * 86_400_000),
  });
}

async function probePassed(key: string, type: ProbeType) {
  await seedProbe(adminDb(), { key, type, result: "PASS", startedAt: new Date(T0 + 5 * MIN) });
}

async function openIncident(type: IncidentType, severity: Severity) {
  await seedIncident(adminDb(), `${type}_global_golive`, { type, severity, tsStart: new Date(T0 + 20 * MIN) });
}

describe("npm run go-no-go (after a deploy, on seeded data)", function () {
  this.timeout(60_000);
  let dir: string;
  const logFile = (name: string, entries: object[]) => {
    const file = join(dir, name);
    writeFileSync(file, entries.map((e) => JSON.stringify(e)).join("\n"));
    return file;
  };
  const cleanLogs = () =>
    logFile("clean.jsonl", [
      { timestamp: new Date(T0 + MIN).toISOString(), severity: "INFO", jsonPayload: { message: "outbox_sent" } },
      {
        timestamp: new Date(T0 + 2 * MIN).toISOString(),
        severity: "INFO",
        jsonPayload: { message: "whatsapp_proxy_send", outcome: "ok", token: "[redacted]" },
      },
    ]);
  const run = (extra: string[] = []) => command("go-no-go", ["--since", DEPLOY, "--to", HOUR_LATER, ...extra]);

  before(() => (dir = mkdtempSync(join(tmpdir(), "wa-golive-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await resetFirestore();
    await beats(0, 60, "worker-a", 1);
    await sends(40);
    await probePassed("OUT_202512301005_manual", "OUT");
    await inboundStored(T0 + 10 * MIN);
  });

  it("GO: every checkpoint OK, exit 0", async () => {
    const { code, out } = await run(["--logs", cleanLogs()]);
    assert.match(out, /VERDICT: GO\b/);
    assert.equal(code, 0, out);
    assert.match(out, /OK\s+failed sends: 0 of 40 finished sends failed/);
    assert.match(out, /OK\s+unmasked secrets: none in 2 log entries/);
  });

  it("MONITOR: an open P2 incident is one warning, exit 10", async () => {
    await openIncident("outbox_lag", "P2");
    const { code, out } = await run(["--logs", cleanLogs()]);
    assert.match(out, /WARNING\s+open incidents: P2 outbox_lag/);
    assert.match(out, /VERDICT: MONITOR/);
    assert.equal(code, 10, out);
  });

  it("NO-GO: one unmasked bot token in the logs, exit 20, rollback printed, the token not repeated", async () => {
    const logs = logFile("leak.jsonl", [
      {
        timestamp: new Date(T0 + 3 * MIN).toISOString(),
        severity: "INFO",
        textPayload: `POST /bot${BOT_TOKEN}/sendMessage`,
      },
    ]);
    const { code, out } = await run(["--logs", logs, "--region", "europe-west1"]);
    assert.match(out, /CRITICAL\s+unmasked secrets: telegram_bot_token/);
    assert.match(out, /VERDICT: NO-GO/);
    assert.equal(code, 20, out);
    assert.match(out, /Rollback/);
    // Against the local (demo-) project the rollback names the operator's project, not the demo one.
    assert.match(
      out,
      /npx firebase deploy --project <your-project> --only functions,firestore:rules,firestore:indexes,storage/,
    );
    assert.match(out, /gcloud run services replace wa-worker\.yaml --project <your-project> --region europe-west1/);
    assert.doesNotMatch(out, /--project demo-/);
    assert.ok(!out.includes(BOT_TOKEN), "the report must not leak what it found");
  });

  it("NO-GO: failed sends over 10 % are critical, from Firestore alone", async () => {
    await resetFirestore();
    await beats(0, 60, "worker-a", 1);
    await sends(20, 3);
    await probePassed("OUT_202512301005_manual", "OUT");
    const { code, out } = await run();
    assert.match(out, /CRITICAL\s+failed sends: 3 of 20 finished sends failed \(15 %\)/);
    assert.match(out, /no --logs export given/);
    assert.equal(code, 20, out);
  });

  it("MONITOR, not GO, until at least one inbound message is stored", async () => {
    await resetFirestore();
    await beats(0, 60, "worker-a", 1);
    await sends(40);
    await probePassed("OUT_202512301005_manual", "OUT");
    const { code, out } = await run(["--logs", cleanLogs()]);
    assert.match(out, /WARNING\s+first messages both ways: 40 outbound sent, 0 inbound stored/);
    assert.equal(code, 10, out);
  });

  it("NO-GO: a refused cross-tenant access (a security event) in the first hour, until reviewed", async () => {
    await recordRefusedAccess("whatsapp_proxy_claim_thread", "intruder", { threadId: "t-other" }, "not a member");
    // Recorded now; the window is the deploy's hour, so look at the hour around now.
    const { code, out } = await command("go-no-go", ["--since", new Date(Date.now() - 30 * MIN).toISOString()]);
    assert.match(out, /CRITICAL\s+cross-tenant access: 1 refused/);
    assert.equal(code, 20, out);
  });

  it("a reviewed security event no longer holds GO back; the review keeps who and what", async () => {
    await recordRefusedAccess("whatsapp_proxy_send", "intruder", { accountId: "acc-other" }, "not a member");
    const since = ["--since", new Date(Date.now() - 30 * MIN).toISOString()];
    const listed = await command("security", ["list", "--hours", "1"]);
    const [, eventId] =
      /UNREVIEWED \S+ (\S+) cross_tenant_refused whatsapp_proxy_send uid intruder/.exec(listed.out) ?? [];
    assert.ok(eventId, listed.out);
    assert.equal((await command("security", ["review", eventId, "--by", "ana"])).code, 64, "a review needs a note");
    assert.equal((await command("security", ["review", "no-such-event", "--note", "x"])).code, 2);
    assert.match((await command("go-no-go", since)).out, /CRITICAL\s+cross-tenant access: 1 refused/);
    const reviewed = await command("security", [
      "review",
      eventId,
      "--note",
      "client bug: stale account id",
      "--by",
      "ana",
    ]);
    assert.equal(reviewed.code, 0, reviewed.out);
    assert.match((await command("go-no-go", since)).out, /OK\s+cross-tenant access: no refused/);
    assert.match(
      (await command("security", ["list", "--hours", "1"])).out,
      /reviewed +\S+ \S+ cross_tenant_refused .*\(operator:ana: client bug: stale account id\)/,
    );
  });

  it("a refusal that names no thread or account (an admin-only callable) is not a security event", async () => {
    await recordRefusedAccess("whatsapp_admin_run_rollup", "member", { date: "2026-01-01" }, "Only admins may do this");
    const { out } = await command("go-no-go", ["--since", new Date(Date.now() - 30 * MIN).toISOString()]);
    assert.match(out, /OK\s+cross-tenant access: no refused/);
  });

  it("bad options exit 64 with the reason and change nothing", async () => {
    const missing = await command("go-no-go", []);
    assert.equal(missing.code, 64);
    assert.match(missing.out, /--since is required/);
    const unreadable = await run(["--logs", join(dir, "nope.json")]);
    assert.equal(unreadable.code, 64);
    assert.match(unreadable.out, /--logs: cannot read/);
    const notAnAccount = await run(["--functions-sa", "functions"]);
    assert.equal(notAnAccount.code, 64);
    assert.match(notAnAccount.out, /--functions-sa: "functions" is not a service account's email/);
  });

  it("says media URL signing was not checked against the emulator (no IAM there), and stays GO", async () => {
    const { code, out } = await run([
      "--logs",
      cleanLogs(),
      "--functions-sa",
      "1-compute@developer.gserviceaccount.com",
    ]);
    assert.match(out, /media URL signing was not checked/);
    assert.equal(code, 0, out);
  });
});
