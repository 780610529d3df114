import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  changelogBetween,
  compareVersions,
  failedHunks,
  formatCandidateReport,
  formatReleaseReport,
  parseVersion,
  summarizeReleases,
  WHATSAPP_SUITES,
} from "../../scripts/ops/baileysReleases";
import { REPO_ROOT } from "../../scripts/lib/project";
import { baileysSource, importBaileysFrom } from "../../worker/src/transport/baileys/module";

/** `npm run check:baileys`'s pure parts, its loader switch and its exit codes: nothing here reaches a network. */

const sorted = (versions: string[]) =>
  versions
    .map((v) => parseVersion(v)!)
    .sort(compareVersions)
    .map((v) => v.raw);

// The versions the registry lists, in the registry's order (not a version order).
const REGISTRY = [
  "6.0.0", "6.17.16", "6.2.1", "6.7.10", "6.7.9", "6.7.24", "7.0.0-rc.1", "7.0.0-rc.4", "7.0.0-rc.3",
  "7.0.0-rc10", "7.0.0-rc.8", "7.0.0-rc.9", "7.0.0-rc11", "7.0.0-rc13", "7.0.0-rc12", "7.0.0-rc14",
]; // prettier-ignore

describe("check:baileys: versions and releases", () => {
  it("orders both spellings of Baileys' release candidates by number, and a release after its candidates", () => {
    assert.deepEqual(sorted([...REGISTRY, "7.0.0", "7.0.0-rc2", "7.0.0-rc100"]), [
      "6.0.0", "6.2.1", "6.7.9", "6.7.10", "6.7.24", "6.17.16",
      "7.0.0-rc.1", "7.0.0-rc2", "7.0.0-rc.3", "7.0.0-rc.4", "7.0.0-rc.8", "7.0.0-rc.9",
      "7.0.0-rc10", "7.0.0-rc11", "7.0.0-rc12", "7.0.0-rc13", "7.0.0-rc14", "7.0.0-rc100", "7.0.0",
    ]); // prettier-ignore
    assert.equal(parseVersion("created"), null);
    assert.equal(parseVersion("^7.0.0-rc14"), null, "a range is not a pin");
  });

  it("counts the versions above the pin, by version not by date, from the registry's time map", () => {
    const time: Record<string, string> = {
      created: "2022-01-01T00:00:00.000Z",
      modified: "2026-11-01T00:00:00.000Z",
      ...Object.fromEntries(REGISTRY.map((v, i) => [v, `2026-0${1 + (i % 9)}-01T00:00:00.000Z`])),
      "7.0.0-rc14": "2026-08-06T18:06:44.580Z",
      "7.0.0-rc15": "2026-09-20T10:00:00.000Z",
      "7.0.0": "2026-10-02T10:00:00.000Z",
      "6.7.25": "2026-10-30T10:00:00.000Z", // a backport published later: not newer
    };
    const s = summarizeReleases("7.0.0-rc14", time);
    assert.deepEqual(
      s.newer.map((p) => p.version),
      ["7.0.0-rc15", "7.0.0"],
    );
    assert.equal(s.newerReleases, 1);
    assert.deepEqual(s.newest, { version: "7.0.0", date: "2026-10-02T10:00:00.000Z" });
    assert.equal(s.newestPrerelease?.version, "7.0.0-rc15");
    assert.equal(s.newestRelease?.version, "7.0.0");
    assert.equal(s.pinned.date, "2026-08-06T18:06:44.580Z");
    const text = formatReleaseReport(s, null);
    assert.match(text, /pinned +7\.0\.0-rc14 \(2026-08-06\)/);
    assert.match(text, /2 versions behind \(1 release, 1 prerelease\)/);
    assert.match(text, /7\.0\.0-rc15 +2026-09-20/);
    assert.match(text, /--candidate 7\.0\.0$/m);
    assert.match(text, /github\.com\/WhiskeySockets\/Baileys\/releases/);
    assert.match(text, /ships no CHANGELOG\.md/);
  });

  it("at the newest version: up to date, the newest release an older line's", () => {
    const time = Object.fromEntries(REGISTRY.map((v) => [v, "2026-08-06T18:06:44.580Z"]));
    const s = summarizeReleases("7.0.0-rc14", time);
    assert.deepEqual(s.newer, []);
    assert.equal(s.newest.version, "7.0.0-rc14");
    assert.equal(s.newestRelease?.version, "6.17.16");
    assert.match(formatReleaseReport(s, null), /up to date: no published version is newer than 7\.0\.0-rc14/);
    assert.throws(() => summarizeReleases("^7.0.0", time), /not an exact version/);
  });

  it("takes from a CHANGELOG the sections after the pin up to the newest", () => {
    const changelog = [
      "# Changelog",
      "## [7.0.0](https://x/compare) (2026-10-02)",
      "* pair: handle companion_reg_refresh",
      "## [7.0.0-rc15](https://x/compare) (2026-09-20)",
      "* fix: reachout timelock",
      "## [7.0.0-rc14](https://x/compare) (2026-08-06)",
      "* old news",
    ].join("\n");
    assert.equal(changelogBetween(changelog, "7.0.0-rc14", "7.0.0"), changelog.split("\n").slice(1, 5).join("\n"));
    assert.equal(changelogBetween(changelog, "7.0.0", "7.0.0"), null);
  });

  it("names the hunks that do not apply, and passes only when every patch applies and the suites pass", () => {
    const out = [
      "checking file node_modules/@whiskeysockets/baileys/lib/Socket/messages-recv.js",
      "Hunk #1 succeeded at 19 (offset 2 lines).",
      "Hunk #3 FAILED at 640.",
      "1 out of 6 hunks FAILED",
    ].join("\n");
    assert.deepEqual(failedHunks(out), [
      "node_modules/@whiskeysockets/baileys/lib/Socket/messages-recv.js: Hunk #3 FAILED at 640",
    ]);
    const base = { candidate: "7.0.0", pinned: "7.0.0-rc14", dir: "/tmp/x" };
    const failed = { patch: "p.patch", kind: "failed" as const, hunks: ["f.js: Hunk #3 FAILED at 640"] };
    const applied = { patch: "p.patch", kind: "applied" as const };
    assert.equal(formatCandidateReport({ ...base, patches: [applied], suites: { ran: true, passed: true } }).code, 0);
    assert.equal(formatCandidateReport({ ...base, patches: [applied], suites: { ran: true, passed: false } }).code, 1);
    const r = formatCandidateReport({ ...base, patches: [failed], suites: { ran: true, passed: true } });
    assert.equal(r.code, 1);
    assert.match(r.text, /p\.patch: DOES NOT APPLY\n +f\.js: Hunk #3 FAILED at 640/);
  });

  it("lists every suite that drives the real Baileys socket or loads Baileys", () => {
    const files = spawnSync(
      "git",
      ["grep", "--untracked", "-l", "-E", "fakeWhatsApp|loadBaileys", "--", "test/**/*.test.ts"],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    )
      .stdout.split("\n")
      .filter((f) => f && f !== "test/fast/baileys-releases.test.ts");
    assert.ok(files.length > 0);
    for (const suite of WHATSAPP_SUITES) assert.ok(existsSync(join(REPO_ROOT, suite)), `${suite} exists`);
    assert.deepEqual(
      files.filter((f) => !(WHATSAPP_SUITES as readonly string[]).includes(f)),
      [],
      "add them to WHATSAPP_SUITES",
    );
  });
});

describe("check:baileys: the worker's Baileys switch", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-baileys-switch-"));
    mkdirSync(join(dir, "lib"));
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "@whiskeysockets/baileys", version: "9.9.9-rc1", type: "module", main: "lib/index.js" }),
    );
    writeFileSync(join(dir, "lib", "index.js"), "export const which = 'candidate';\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is the pinned package unless named, and never in production", () => {
    assert.deepEqual(baileysSource({}), { kind: "pinned" });
    assert.deepEqual(baileysSource({ WA_BAILEYS_CANDIDATE_DIR: dir, NODE_ENV: "production" }), {
      kind: "ignored",
      dir,
      why: "NODE_ENV is production",
    });
    assert.equal(baileysSource({ WA_BAILEYS_CANDIDATE_DIR: "baileys" }).kind, "ignored");
    assert.deepEqual(baileysSource({ WA_BAILEYS_CANDIDATE_DIR: dir, NODE_ENV: "test" }), {
      kind: "candidate",
      dir,
      version: "9.9.9-rc1",
    });
    assert.throws(() => baileysSource({ WA_BAILEYS_CANDIDATE_DIR: tmpdir() }), /package\.json|not a @whiskeysockets/);
  });

  it("loads the candidate from its directory", async () => {
    const loaded = (await importBaileysFrom(dir)) as unknown as { which: string };
    assert.equal(loaded.which, "candidate");
  });

  it("the worker image sets NODE_ENV=production, so the switch is off there", () => {
    assert.match(readFileSync(join(REPO_ROOT, "worker", "Dockerfile"), "utf8"), /^ENV NODE_ENV=production/m);
  });
});

describe("check:baileys: the command's options", function () {
  this.timeout(30_000);
  const command = (args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "scripts", "ops", "check-baileys.ts"), ...args],
        // No PATH: an option that got as far as npm would fail, not reach the registry.
        { cwd: REPO_ROOT, env: { PATH: "" } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
      ),
    );

  it("--help prints the usage and exits 0", async () => {
    const { code, out } = await command(["--help"]);
    assert.equal(code, 0, out);
    assert.match(out, /--candidate <version>/);
  });

  it("a bad option, a path or URL as the candidate, or a candidate option alone exits 64 with what is wrong", async () => {
    for (const [args, message] of [
      [["--candiate", "7.0.0"], /--candiate/],
      [["--candidate", "../baileys"], /a version \(7\.0\.0-rc15\) or a dist-tag/],
      [["--install-only"], /go with --candidate/],
    ] as const) {
      const { code, out } = await command([...args]);
      assert.deepEqual([args, code], [args, 64], out);
      assert.match(out, message);
    }
  });
});
