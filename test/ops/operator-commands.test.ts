import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Timestamp } from "firebase-admin/firestore";
import { paths, type ProbeType } from "@wa-gateway/core";
import { type ProbeResult } from "@wa-gateway/core/documents";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedIncident, seedProbe } from "../support/longrunFixtures";
import { beats, command, commandProcess, MIN, ROOT, T0 } from "../support/opsCommands";

async function missedHeartbeatIncident(startMin: number, endMin: number) {
  const start = T0 + startMin * MIN + 200;
  const end = T0 + endMin * MIN + 200;
  await seedIncident(adminDb(), `missed_heartbeat_global_${startMin}`, {
    type: "missed_heartbeat",
    reason: "No heartbeat",
    tsStart: new Date(start),
    tsDetected: new Date(start + 150_000),
    tsEnd: new Date(end),
    lastNotifiedAt: new Date(start + 150_000),
    notifyCount: 1,
  });
}

const period = ["--from", "2025-12-30T10:00:00Z", "--to", "2025-12-30T12:00:00Z"];

describe("operator commands (npm run report / verify:*)", function () {
  this.timeout(90_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "wa-report-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await resetFirestore();
    await adminDb().doc(paths.longrun.config).set({ heartbeatIntervalSec: 60 });
  });

  it("two clean hours: every check passes and the report says OK (exit 0)", async () => {
    await beats(0, 120, "w1", 1);
    const out = join(dir, "ok.md");
    const report = await command("report", [...period, "--out", out]);
    assert.equal(report.code, 0, report.out);
    const md = readFileSync(out, "utf8");
    assert.match(md, /\*\*Verdict: OK\*\* \(exit 0\)/);
    assert.match(md, /\| observed \/ expected \| 120 \/ 120 \|/);
    assert.equal((await command("verify-restart-safe", period)).code, 0);
    assert.equal((await command("verify-dataquality", period)).code, 0);
  });

  it("a 10-minute outage with its incident: restart-safe passes, the max gap fails data quality and the report (exit 1)", async () => {
    await beats(0, 60, "w1", 1);
    await beats(70, 120, "w2", 2);
    await missedHeartbeatIncident(59, 70);
    const restart = await command("verify-restart-safe", period);
    assert.equal(restart.code, 0, restart.out);
    assert.match(restart.out, /PASS\s+gap detection: 1 gap\(s\), 1 missed_heartbeat incident/);
    const quality = await command("verify-dataquality", period);
    assert.equal(quality.code, 1);
    assert.match(quality.out, /FAIL\s+max gap: 660 s/);
    const out = join(dir, "gap.md");
    assert.equal((await command("report", [...period, "--out", out])).code, 1);
    const md = readFileSync(out, "utf8");
    assert.match(md, /\| 2025-12-30T10:59:00.200Z \| 2025-12-30T11:10:00.200Z \| 11m 00s \| 10 \| no \|/);
    assert.match(md, /missed_heartbeat\/global \| P2 \| resolved/);
  });

  it("a gap nobody was alerted about, or two holders at once, fail restart-safe (exit 1)", async () => {
    await beats(0, 60, "w1", 1);
    await beats(70, 120, "w2", 2);
    const unalerted = await command("verify-restart-safe", period);
    assert.equal(unalerted.code, 1);
    assert.match(unalerted.out, /FAIL\s+gap detection: .*1 gap\(s\) over 170 s without an incident/);

    await missedHeartbeatIncident(59, 70);
    await beats(100, 101, "w1", 1); // the old holder writes after the new one took over
    const overlap = await command("verify-restart-safe", period);
    assert.equal(overlap.code, 1);
    assert.match(overlap.out, /FAIL\s+distributed lock: 2 lock epoch\(s\), 1 out-of-order beat/);
  });

  it("an empty period is insufficient data (exit 2); a bad option is a usage error", async () => {
    const out = join(dir, "empty.md");
    assert.equal((await command("report", [...period, "--out", out])).code, 2);
    assert.match(readFileSync(out, "utf8"), /INSUFFICIENT DATA/);
    assert.equal((await command("verify-dataquality", period)).code, 2);
    const bad = await command("report", ["--from", "yesterday-ish"]);
    assert.equal(bad.code, 64);
    assert.match(bad.out, /--from: not a date/);
  });

  it("verify:probes passes scheduled PASSes, fails a missing slot and a poor pass rate", async () => {
    const probe = (key: string, type: ProbeType, result: ProbeResult, atIso: string) =>
      seedProbe(adminDb(), { key, type, result, startedAt: new Date(atIso), latencyMs: 900 });
    await probe("OUT_2025123012", "OUT", "PASS", "2025-12-30T12:00:01Z");
    await probe("IN_2025123012", "IN", "PASS", "2025-12-30T12:00:01Z");
    const window = ["--from", "2025-12-30T11:00:00Z", "--to", "2025-12-30T17:00:00Z"];
    const ok = await command("verify-probes", window);
    assert.equal(ok.code, 0, ok.out);

    const wider = await command("verify-probes", ["--from", "2025-12-30T11:00:00Z", "--to", "2025-12-30T19:00:00Z"]);
    assert.equal(wider.code, 1);
    assert.match(wider.out, /FAIL\s+OUT probe: .*missing slots: OUT_2025123018/);

    await probe("OUT_2025123018", "OUT", "FAIL", "2025-12-30T18:00:01Z");
    await probe("IN_2025123018", "IN", "PASS", "2025-12-30T18:00:01Z");
    const poor = await command("verify-probes", ["--from", "2025-12-30T11:00:00Z", "--to", "2025-12-30T19:00:00Z"]);
    assert.match(poor.out, /FAIL\s+OUT probe: 1 PASS, 1 FAIL, 0 SKIPPED, pass rate 50.0 %/);
    assert.match(poor.out, /PASS\s+IN probe/);
  });
});

describe("operator commands on day one", function () {
  this.timeout(60_000);
  beforeEach(resetFirestore);

  it("a new deployment's probe slots before its first heartbeat are not missing: OK, not FAILURE", async () => {
    // The system's first heartbeat is at 10:00; the period starts at midnight.
    await adminDb()
      .doc(paths.longrun.state)
      .set({ firstHeartbeatAt: Timestamp.fromMillis(T0), lastHeartbeatAt: Timestamp.fromMillis(T0 + 59 * MIN) });
    await beats(0, 60, "worker-a", 1);
    const day = ["--from", "2025-12-30", "--to", new Date(T0 + 60 * MIN).toISOString()];
    const probes = await command("verify-probes", day);
    assert.doesNotMatch(probes.out, /missing slots/);
    assert.match(probes.out, /slots counted from the first heartbeat \(2025-12-30T10:00:00.000Z\)/);
    assert.equal(probes.code, 0, probes.out);
    const report = await command("report", [...day, "--out", join(tmpdir(), "wa-day-one.md")]);
    assert.equal(report.code, 0, report.out);
  });

  it("an unreachable emulator fails within seconds with a hint, not a gRPC error after 40 s", async () => {
    const t0 = Date.now();
    const { code, out } = await commandProcess("report", ["--emulator", "127.0.0.1:9"]);
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
    assert.match(out, /cannot reach the Firestore emulator at 127\.0\.0\.1:9.*npm start/s);
  });

  it("an unknown option exits 64 with the usage", async () => {
    const { code, out } = await command("verify-probes", ["--frmo", "2025-12-30"]);
    assert.equal(code, 64, out);
    assert.match(out, /--frmo/);
  });

  it("--help prints the usage and exits 0, whichever command (each its own command line)", async () => {
    const scripts = readdirSync(join(ROOT, "scripts", "ops")).filter(
      (f) => /^[a-z]+(-[a-z]+)*\.ts$/.test(f) && f !== "check-baileys.ts",
    );
    assert.equal(scripts.length, 10, scripts.join(" "));
    for (const script of scripts.map((f) => f.replace(/\.ts$/, ""))) {
      const { code, out } = await commandProcess(script, ["--help"]);
      assert.deepEqual([script, code], [script, 0], out);
      assert.match(out, /--emulator/, `${script} names the shared options`);
    }
  });
});
