import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../scripts/lib/project";

/** `npm start -- <options>`: a typo must not quietly run something else. */
describe("npm start's options", function () {
  this.timeout(60_000);
  const start = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts", "local-stack.ts"), ...args], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", METADATA_SERVER_DETECTION: "none" },
    });

  it("an unknown option (--bailey) exits 64 with the usage, starting nothing", () => {
    const run = start("--bailey");
    assert.equal(run.status, 64, run.stdout + run.stderr);
    assert.match(run.stderr, /Unknown option '--bailey'/);
    assert.match(run.stderr, /usage: npm start \[-- --baileys\]/);
    assert.doesNotMatch(run.stdout, /building functions/);
  });

  it("--help prints the usage and exits 0", () => {
    const run = start("--help");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /--baileys/);
  });
});
