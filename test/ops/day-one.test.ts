import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paths } from "@wa-gateway/core";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "../support/emulator";
import { loadFunctionsWithAlertsOff } from "../support/functions";
import { command, ROOT } from "../support/opsCommands";
import { eventually, workersPerTest } from "../support/worker";

const heartbeatCount = async () => (await adminDb().collection(paths.longrun.heartbeats).count().get()).data().count;

/** What `npm start` gives on day one: a worker that just started, no account yet, nothing else. */
describe("a fresh, healthy stack reports healthy (day one)", function () {
  this.timeout(60_000);
  const workers = workersPerTest();
  let startedAt: Date;

  beforeEach(async () => {
    await resetFirestore();
    // The runbook's interval; a 1 s drift bound makes any mid-bucket beat count as drift.
    await adminDb().doc(paths.longrun.config).set({ heartbeatIntervalSec: 60, driftSec: 1 });
    // Start at least 2 s into a minute, so the start-up beat lands mid-bucket as it does for a user.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute < 2_000) await new Promise((r) => setTimeout(r, 2_000 - intoMinute));
    startedAt = new Date(Date.now() - 1_000);
    await workers.start(new SimulatedWhatsApp());
    await eventually("the start-up heartbeat", async () => (await heartbeatCount()) >= 1);
  });

  it("the worker's start-up heartbeat is not clock drift: report and verify:dataquality exit 0 or 2", async () => {
    const period = ["--from", startedAt.toISOString(), "--to", new Date().toISOString()];
    const quality = await command("verify-dataquality", period);
    assert.doesNotMatch(quality.out, /FAIL\s+clock drift/);
    assert.ok([0, 2].includes(quality.code), quality.out);
    const report = await command("report", [...period, "--out", join(tmpdir(), `wa-day-one-${process.pid}.md`)]);
    assert.ok([0, 2].includes(report.code), report.out);
  });

  it("go-no-go on a deployment that never had an account: no P1, and each command it advises exists", async () => {
    const fns = loadFunctionsWithAlertsOff();
    await fns.longrunWatchdog.run({ scheduleTime: new Date().toISOString(), jobName: "day-one" } as never);
    const { code, out } = await command("go-no-go", ["--since", startedAt.toISOString()]);
    assert.doesNotMatch(out, /no_active_account/);
    assert.notEqual(code, 20, out);

    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
    );
    const advised = [...out.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    assert.ok(advised.includes("probe"), out);
    for (const script of advised) assert.ok(scripts.includes(script), `go-no-go advises npm run ${script}`);

    const probe = await command("probe", ["OUT"]);
    assert.equal(probe.code, 0, probe.out);
    assert.match(probe.out, /probe OUT_\d{12}_manual: (PENDING|SKIPPED)/);
    const typo = await command("probe", ["OUTT"]);
    assert.equal(typo.code, 64, typo.out);
  });
});
