import { existsSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { startChild, stopAllChildren } from "./lib/children";
import { dealFiles, failureReport } from "./lib/testShards";
import { REPO_ROOT } from "./lib/project";

/**
 * `tsx scripts/test-shards.ts [--shards N] [--record] <glob...> [--ignore <glob>]...`: runs the matching
 * mocha files in N processes at once, each with its own Firestore emulator (so no suite sees
 * another's documents), and prints each shard's whole output when it ends, never interleaved.
 *
 * Most suites spend much of their time waiting on leases, sockets and timers, so more shards than
 * cores are faster: on two cores, 4 m 09 s with two shards, 3 m 29 s with three (a quarter of the
 * run idle with two). Four gain little more and load the machine harder. Files are dealt by their
 * last measured duration (test/support/suiteDurations.json), heaviest first, each to the shard
 * with least so far; `--record` rewrites that file from this run (`npm run test:durations`). A
 * failed shard's failure report is printed once more at the very end: a CI log keeps the tail.
 */

/** One more than the cores, at most three (see above). `--shards N` overrides it. */
const DEFAULT_SHARDS = Math.min(3, availableParallelism() + 1);
/**
 * The end-to-end suites share one boot of the Auth and Functions emulators per shard
 * (test/support/callableStack.ts: a functions build and ~20 s of CPU), so they go to one shard.
 */
const sharedFixtureOf = (file: string) => (file.startsWith("test/e2e/") ? "functions-emulator" : undefined);
/** Weight of a suite with no measured duration yet: about an average one. */
const UNMEASURED_MS = 5_000;
const DURATIONS_FILE = join(REPO_ROOT, "test", "support", "suiteDurations.json");
/**
 * V8's code cache for the Node processes the suites start (worker processes, operator commands,
 * firebase-tools): they load the same modules again and again, and on two cores that compile time
 * is the tests' time.
 */
const COMPILE_CACHE = join(tmpdir(), "wa-gateway-compile-cache");
/**
 * A shard's Firestore emulator lives for minutes: the C1 compiler alone (no C2) and the serial
 * collector take less than half the CPU of the JVM's server defaults for the same work (94 tests:
 * 59 s of Java CPU before, 26 s after, same wall time). Only here: `npm start`, the benches and
 * the soak keep the defaults for their longer, steadier load.
 */
const SHORT_RUN_JVM_FLAGS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

interface Options {
  shards: number;
  record: boolean;
  files: string[];
}

function parseArgs(argv: string[]): Options {
  let shards = DEFAULT_SHARDS;
  let record = false;
  const patterns: string[] = [];
  const ignores: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--shards") shards = Number(argv[++i]);
    else if (arg === "--record") record = true;
    else if (arg === "--ignore") ignores.push(argv[++i] ?? "");
    else patterns.push(arg);
  }
  if (!Number.isInteger(shards) || shards < 1) throw new Error("--shards takes a whole number of at least 1");
  if (patterns.length === 0)
    throw new Error("usage: tsx scripts/test-shards.ts [--shards N] <glob...> [--ignore <glob>]...");
  const files = [...new Set(patterns.flatMap((p) => globSync(p, { cwd: REPO_ROOT, exclude: ignores })))].sort();
  if (files.length === 0) throw new Error(`no test file matches ${patterns.join(" ")}`);
  return { shards, record, files };
}

function measuredDurations(): Record<string, number> {
  return existsSync(DURATIONS_FILE) ? JSON.parse(readFileSync(DURATIONS_FILE, "utf8")) : {};
}

/** Sums what test/support/durationReporter.ts wrote, per file, rounded to 100 ms. */
function recordDurations(out: string[]): void {
  const totals: Record<string, number> = {};
  for (const file of out.filter(existsSync)) {
    for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
      const { file: suite, ms } = JSON.parse(line) as { file: string; ms: number };
      totals[suite] = (totals[suite] ?? 0) + ms;
    }
  }
  const sorted = Object.fromEntries(
    Object.entries(totals)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([f, ms]) => [f, Math.round(ms / 100) * 100]),
  );
  writeFileSync(DURATIONS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`durations of ${Object.keys(sorted).length} files written to ${DURATIONS_FILE}`);
}

async function runShard(
  index: number,
  files: string[],
  durationsOut: string,
): Promise<{ code: number; output: string; ms: number }> {
  const started = Date.now();
  const lines: string[] = [];
  const child = startChild(
    `shard ${index + 1}`,
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "scripts", "with-emulator.ts"), "--", "mocha", ...files],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        SUITE_DURATIONS_OUT: durationsOut,
        NODE_COMPILE_CACHE: COMPILE_CACHE,
        JAVA_TOOL_OPTIONS: SHORT_RUN_JVM_FLAGS,
      },
      onOutput: (line) => lines.push(line),
    },
  );
  await new Promise<void>((resolve) => {
    if (child.exited()) resolve();
    else child.process.once("exit", () => resolve());
  });
  const exit = child.exited();
  return { code: exit?.code ?? 1, output: lines.join("\n"), ms: Date.now() - started };
}

async function main(): Promise<number> {
  const { shards, record, files } = parseArgs(process.argv.slice(2));
  const measured = measuredDurations();
  const deals = dealFiles(files, shards, (file) => measured[file] ?? UNMEASURED_MS, sharedFixtureOf);
  const scratch = mkdtempSync(join(tmpdir(), "wa-shards-"));
  const durationsOut = deals.map((_, i) => join(scratch, `shard-${i + 1}.jsonl`));
  const stop = () => void stopAllChildren().then(() => process.exit(130));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  console.log(`${files.length} test files in ${deals.length} shards, each with its own Firestore emulator`);
  const results = await Promise.all(
    deals.map((shardFiles, i) =>
      runShard(i, shardFiles, durationsOut[i]!).then((result) => {
        console.log(
          `\n===== shard ${i + 1} of ${deals.length}: ${shardFiles.length} files, ${(result.ms / 1000).toFixed(0)} s, exit ${result.code}`,
        );
        console.log(result.output);
        return result;
      }),
    ),
  );
  const failed = results.filter((r) => r.code !== 0).length;
  // Repeated last, so that the tail of the output (all a CI log may keep) names what failed.
  results.forEach((result, i) => {
    if (result.code !== 0) console.log(`\n===== what failed in shard ${i + 1}:\n${failureReport(result.output)}`);
  });
  if (record) recordDurations(durationsOut);
  rmSync(scratch, { recursive: true, force: true });
  const count = (word: string) =>
    results.reduce((sum, r) => sum + Number(new RegExp(`(\\d+) ${word}`).exec(r.output)?.[1] ?? 0), 0);
  console.log(
    `\n${count("passing")} passing, ${count("failing")} failing, ${count("pending")} pending: ` +
      (failed === 0 ? "all shards passed" : `${failed} of ${deals.length} shards failed`),
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error((err as Error).message);
    process.exit(2);
  },
);
