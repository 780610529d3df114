import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../lib/project";
import {
  BAILEYS_PACKAGE,
  changelogBetween,
  failedHunks,
  formatCandidateReport,
  formatReleaseReport,
  parseVersion,
  summarizeReleases,
  WHATSAPP_SUITES,
  type PatchOutcome,
} from "./baileysReleases";
import { HelpAsked, type OpsCommand, runCommand, UsageError } from "./opsContext";

/**
 * `npm run check:baileys [-- --candidate <version>]`: the pinned Baileys against the registry's
 * newest, and a candidate version tried on the WhatsApp suites (docs/operations.md#upgrading-baileys).
 * A local tool: it asks the package registry through the npm CLI (so the user's registry config
 * applies) and installs the candidate in a scratch directory, never in the repository.
 */

const USAGE = `check:baileys: npm run check:baileys [-- options]
  (no options)            the pinned Baileys (worker/package.json) against the registry's newest
                          release and prerelease: how far behind, their dates, the changelog
  --candidate <version>   installs that version in a scratch directory, applies the repository's
                          Baileys patches (patches/) to it, and runs the WhatsApp suites with the
                          worker loading it (WA_BAILEYS_CANDIDATE_DIR); exit 0 only when all pass
  --install-only          with --candidate: install and check the patches, run no suite
  --dir <path>            with --candidate: the scratch directory (default: a new one under the OS temp dir)
  --help                  this text
exit codes: 0 the report printed / the candidate passed, 1 a failure (the registry, the install, a patch, a suite), 64 bad options`;

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: process.env });
  if (r.error) throw new Error(`${command} ${args.join(" ")}: ${r.error.message}`);
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

function pinnedVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "worker", "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const pinned = pkg.dependencies?.[BAILEYS_PACKAGE];
  if (!pinned || !parseVersion(pinned)) {
    throw new Error(`worker/package.json must pin ${BAILEYS_PACKAGE} exactly (found ${JSON.stringify(pinned)})`);
  }
  return pinned;
}

/** The registry's version → publication time map, through the npm CLI. */
function registryTimes(): Record<string, string> {
  const r = run(npm, ["view", BAILEYS_PACKAGE, "time", "--json"], REPO_ROOT);
  if (r.code !== 0) throw new Error(`npm view ${BAILEYS_PACKAGE} time failed:\n${r.out.trim()}`);
  return JSON.parse(r.out) as Record<string, string>;
}

function report(print: (line: string) => void): number {
  const pinned = pinnedVersion();
  const summary = summarizeReleases(pinned, registryTimes());
  // The package ships no CHANGELOG.md today (its `files` are lib/, WAProto/); if a version does,
  // the installed one's is read for the versions between.
  const installed = join(REPO_ROOT, "node_modules", ...BAILEYS_PACKAGE.split("/"), "CHANGELOG.md");
  const changelog = existsSync(installed)
    ? {
        source: "node_modules/@whiskeysockets/baileys/CHANGELOG.md",
        excerpt: changelogBetween(readFileSync(installed, "utf8"), pinned, summary.newest.version),
      }
    : null;
  print(formatReleaseReport(summary, changelog));
  return 0;
}

function applyPatches(dir: string): PatchOutcome[] {
  const prefix = `${BAILEYS_PACKAGE.replace("/", "+")}+`;
  const patches = readdirSync(join(REPO_ROOT, "patches"))
    .filter((f) => f.startsWith(prefix) && f.endsWith(".patch"))
    .sort();
  return patches.map((patch) => {
    // patch-package writes paths as a/node_modules/@whiskeysockets/baileys/…: -p1 from the prefix.
    const args = ["-p1", "--forward", "--batch", "-i", join(REPO_ROOT, "patches", patch)];
    const dry = run("patch", ["--dry-run", ...args], dir);
    // A --dir used before keeps its patched files (npm leaves an installed version alone).
    if (dry.code !== 0 && run("patch", ["--dry-run", "-R", ...args], dir).code === 0) return { patch, kind: "applied" };
    if (dry.code !== 0) {
      const hunks = failedHunks(dry.out);
      return { patch, kind: "failed", hunks: hunks.length ? hunks : dry.out.trim().split("\n").slice(0, 5) };
    }
    const applied = run("patch", args, dir);
    if (applied.code !== 0) return { patch, kind: "failed", hunks: applied.out.trim().split("\n").slice(0, 5) };
    return { patch, kind: "applied" };
  });
}

function candidate(
  version: string,
  options: { installOnly: boolean; dir: string | undefined },
  print: (line: string) => void,
): number {
  const pinned = pinnedVersion();
  const dir = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), "wa-baileys-candidate-"));
  // Never into the repository: its node_modules keep the pinned Baileys.
  if (dir === REPO_ROOT || dir.startsWith(`${REPO_ROOT}/`))
    throw new UsageError("--dir: a directory outside the repository");
  mkdirSync(dir, { recursive: true });
  // Its own package.json, so npm installs here and not in an enclosing project; the same
  // legacy-peer-deps as the repository's .npmrc, and no install scripts (Baileys' preinstall only checks the engine).
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, name: "wa-baileys-candidate" }, null, 2));
  print(`installing ${BAILEYS_PACKAGE}@${version} in ${dir}`);
  const install = run(
    npm,
    [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--ignore-scripts",
      "--legacy-peer-deps",
      "--no-audit",
      "--no-fund",
      // `npm run --silent` passes loglevel=silent down: the install's errors are wanted here.
      "--loglevel=error",
      `${BAILEYS_PACKAGE}@${version}`,
    ],
    dir,
  );
  if (install.code !== 0) {
    throw new Error(
      `npm install ${BAILEYS_PACKAGE}@${version} failed (exit ${install.code}):\n${install.out.trim() || "(no output: see npm's log in ~/.npm/_logs)"}`,
    );
  }
  const packageDir = join(dir, "node_modules", ...BAILEYS_PACKAGE.split("/"));
  const installed = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version;
  const patches = applyPatches(dir);
  for (const p of patches) print(`patch ${p.patch}: ${p.kind === "applied" ? "applies" : "DOES NOT APPLY"}`);
  let suites: { ran: false; why: string } | { ran: true; passed: boolean } = { ran: false, why: "--install-only" };
  if (!options.installOnly) {
    print(`running the WhatsApp suites on ${installed}: ${WHATSAPP_SUITES.join(" ")}`);
    const r = spawnSync("npx", ["tsx", "scripts/with-emulator.ts", "--", "npx", "mocha", ...WHATSAPP_SUITES], {
      cwd: REPO_ROOT,
      stdio: "inherit",
      // The loader honours the candidate only outside production.
      env: { ...process.env, WA_BAILEYS_CANDIDATE_DIR: packageDir, NODE_ENV: "test" },
    });
    suites = { ran: true, passed: r.status === 0 };
  }
  const result = formatCandidateReport({ candidate: installed, pinned, dir, patches, suites });
  print(`\n${result.text}`);
  return result.code;
}

export const checkBaileys: OpsCommand = async ({ argv, print }) => {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        candidate: { type: "string" },
        "install-only": { type: "boolean" },
        dir: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new HelpAsked(USAGE);
  if (values.candidate === undefined) {
    if (values["install-only"] || values.dir)
      throw new UsageError(`--install-only and --dir go with --candidate\n${USAGE}`);
    return report(print);
  }
  // A version or a dist-tag: never a path, URL or git spec (installed from the registry only).
  if (!parseVersion(values.candidate) && !/^[a-z][a-z0-9-]*$/.test(values.candidate)) {
    throw new UsageError(
      `--candidate: a version (7.0.0-rc15) or a dist-tag (latest), not ${JSON.stringify(values.candidate)}\n${USAGE}`,
    );
  }
  return candidate(values.candidate, { installOnly: values["install-only"] ?? false, dir: values.dir }, print);
};

runCommand(checkBaileys, module);
