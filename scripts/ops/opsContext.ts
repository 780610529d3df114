import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { type MonitoringConfig } from "@wa-gateway/core/documents";
import {
  incidentFromDocument,
  resolveMonitoringConfig,
  type Check,
  type StoredBeat,
  type StoredProbe,
} from "@wa-gateway/core/longrun";
import {
  heartbeats,
  heartbeatState,
  incidents as incidentDocs,
  monitoringConfigDoc,
  probes,
  watchdogMemory,
} from "@wa-gateway/data";
import { localProjectId, REPO_ROOT } from "../lib/project";
import { firestoreRollupStore } from "../../functions/src/stores/rollupStore";
import { firestoreReadiness } from "../../worker/src/readiness";

/**
 * What every operator command shares: where to read (the local emulator by default, or a real
 * project with `--project` and Application Default Credentials), the period, and the loaders.
 */

const USAGE = `options:
  --from <date|ISO>   start of the period (default: 24 h before --to)
  --to <date|ISO>     end of the period (default: now)
  --hours <n>         period length when --from is not given (default 24)
  --project <id>      read a real project with Application Default Credentials
                      (default: the local emulator of npm start, project from .firebaserc)
  --emulator <host>   Firestore emulator host:port (default: $FIRESTORE_EMULATOR_HOST or firebase.json's)
  --out <file>        (report) where to write the Markdown (default: reports/longrun-<from>-<to>.md)`;

export class UsageError extends Error {}
/** `--help`: the usage, printed, and exit 0 (asked for, not a mistake). */
export class HelpAsked extends Error {}

/** For commands that check their own words before the options: `--help` anywhere wins. */
export function answerHelp(argv: string[], usage: string): void {
  if (argv.includes("--help")) throw new HelpAsked(`${usage}${USAGE}`);
}

/** node:util's parse errors (unknown option, missing value) are the operator's typo: a usage error. */
function asUsageError(err: unknown): unknown {
  return (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ? new UsageError(`${(err as Error).message}\n${USAGE}`)
    : err;
}

const REACH_TIMEOUT_MS = 5_000;

/** Fails fast, with what to do, when Firestore does not answer (instead of gRPC retrying for 40 s). */
async function reachable(db: Firestore, where: string, hint: string): Promise<void> {
  const check = await firestoreReadiness(db, { timeoutMs: REACH_TIMEOUT_MS })();
  if (!check.ok) throw new Error(`cannot reach ${where} (${check.error.split("\n")[0]}): ${hint}`);
}

/** The words of a command (`ack <id>`) apart from its options, every one of which takes a value but --help. */
export function commandWords(argv: string[]) {
  const positionals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) positionals.push(arg);
    else if (arg === "--help" || arg.includes("=") || i + 1 >= argv.length) rest.push(arg);
    else rest.push(arg, argv[++i]!);
  }
  return { positionals, rest };
}

export function parseWhen(value: string, what: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new UsageError(`${what}: not a date or ISO time: ${JSON.stringify(value)}`);
  return ms;
}

export interface OpsContext {
  db: Firestore;
  projectId: string;
  target: string;
  fromMs: number;
  toMs: number;
  nowMs: number;
  out: string | undefined;
}

/**
 * Parses the options and connects; rejects within seconds, with what to do, when Firestore does
 * not answer. `extra`: a command's own string options, returned in `options`.
 */
export async function opsContext<K extends string = never>(
  argv: string[],
  extra: { names: readonly K[]; usage: string } = { names: [], usage: "" },
): Promise<OpsContext & { options: Partial<Record<K, string>> }> {
  const parse = () =>
    parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(extra.names.map((name) => [name, { type: "string" as const }])),
        from: { type: "string" },
        to: { type: "string" },
        hours: { type: "string" },
        project: { type: "string" },
        emulator: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    });
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (err) {
    throw asUsageError(err);
  }
  if (values.help) throw new HelpAsked(`${extra.usage}${USAGE}`);
  const nowMs = Date.now();
  const toMs = values.to ? parseWhen(values.to, "--to") : nowMs;
  const hours = Number(values.hours ?? 24);
  if (!(hours > 0)) throw new UsageError("--hours: a positive number");
  const fromMs = values.from ? parseWhen(values.from, "--from") : toMs - hours * 3_600_000;
  if (fromMs >= toMs) throw new UsageError("--from must be before --to");

  let projectId: string;
  let target: string;
  let where: string;
  let hint: string;
  if (values.project && !values.emulator) {
    projectId = values.project;
    delete process.env.FIRESTORE_EMULATOR_HOST;
    target = `project ${projectId} (Application Default Credentials)`;
    where = `Firestore of project ${projectId}`;
    hint =
      "check the project id, the network, and Application Default Credentials (gcloud auth application-default login)";
  } else {
    const firebaseJson = JSON.parse(readFileSync(join(REPO_ROOT, "firebase.json"), "utf8")) as {
      emulators: { firestore: { port: number } };
    };
    const host =
      values.emulator ?? process.env.FIRESTORE_EMULATOR_HOST ?? `127.0.0.1:${firebaseJson.emulators.firestore.port}`;
    process.env.FIRESTORE_EMULATOR_HOST = host;
    process.env.METADATA_SERVER_DETECTION ??= "none";
    projectId = values.project ?? process.env.GCLOUD_PROJECT ?? localProjectId();
    target = `emulator ${host}, project ${projectId}`;
    where = `the Firestore emulator at ${host}`;
    hint = "is `npm start` (or `npm run emulator`) running? Point at another one with --emulator host:port";
  }
  // In a test process the command shares the suite's default app for the project (and its Firestore).
  const appName = getApps().some((a) => a.name === "[DEFAULT]" && a.options.projectId === projectId)
    ? "[DEFAULT]"
    : `ops-${projectId}`;
  const app = getApps().find((a) => a.name === appName) ?? initializeApp({ projectId }, appName);
  const db = getFirestore(app);
  const given = values as Record<string, unknown>;
  const options = Object.fromEntries(extra.names.map((name) => [name, given[name]])) as Partial<Record<K, string>>;
  await reachable(db, where, hint);
  return {
    db,
    projectId,
    target,
    fromMs,
    toMs,
    nowMs,
    out: values.out as string | undefined,
    options,
  };
}

/** The system's first heartbeat ever (state/current, else the oldest heartbeat), or null. */
export function loadFirstHeartbeatMs(db: Firestore): Promise<number | null> {
  return firestoreRollupStore(db, "operator").firstBeatMs();
}

export async function loadConfig(db: Firestore): Promise<MonitoringConfig> {
  const [config, watchdog] = await Promise.all([monitoringConfigDoc.read(db), watchdogMemory.doc(db).get()]);
  return resolveMonitoringConfig(config, watchdog.data()?.lastGoodConfig).config;
}

/** `duplicateBeats` of state/current: beats refused because their bucket was already written. */
export async function loadDuplicateBeats(db: Firestore): Promise<number> {
  return (await heartbeatState.doc(db).get()).data()?.duplicateBeats ?? 0;
}

/**
 * Heartbeats of the period. Read raw and judged one by one: `docs` go to the data-quality check,
 * which reports a malformed beat instead of the command failing on it; `beats` are the good ones.
 */
export async function loadHeartbeats(db: Firestore, fromMs: number, toMs: number) {
  const snap = await heartbeats.between(db, fromMs, toMs).withConverter(null).get();
  const docs = snap.docs.map((d) => ({ id: d.id, data: d.data() }));
  const beats: StoredBeat[] = snap.docs.flatMap((d) => {
    const checked = heartbeats.kind.check(d.ref.path, d.data());
    if (checked.kind === "malformed") return [];
    const beat = checked.doc;
    return [
      {
        bucketId: d.id,
        serverMs: beat.serverTs.toMillis(),
        tsMs: beat.ts.toMillis(),
        intervalSec: beat.intervalSec,
        instanceId: beat.instanceId,
        lockEpoch: beat.lockEpoch,
        afterPlannedStop: beat.afterPlannedStop,
        ...(beat.trigger ? { trigger: beat.trigger } : {}),
      },
    ];
  });
  return { docs, beats };
}

/** Incidents that started or ended in the period, and every open one; raw `docs` as for heartbeats. */
export async function loadIncidents(db: Firestore, fromMs: number, toMs: number) {
  const queries = incidentDocs.touchingQueries(db, fromMs, toMs, { includeOpen: true });
  const snaps = await Promise.all(queries.map((q) => q.withConverter(null).get()));
  const byId = new Map(snaps.flatMap((s) => s.docs).map((d) => [d.id, d]));
  const docs = [...byId.values()].map((d) => ({ id: d.id, path: d.ref.path, data: d.data() }));
  const incidents = docs
    .flatMap(({ id, path, data }) => {
      const checked = incidentDocs.kind.check(path, data);
      return checked.kind === "valid" ? [{ id, incident: checked.doc }] : [];
    })
    .sort((a, b) => a.incident.tsStart.toMillis() - b.incident.tsStart.toMillis())
    .map(({ id, incident }) => incidentFromDocument(id, incident));
  return { docs: docs.map(({ id, data }) => ({ id, data })), incidents };
}

export async function loadProbes(db: Firestore, fromMs: number, toMs: number) {
  const snap = await probes.startedBetween(db, fromMs, toMs).get();
  return snap.docs.map((d): StoredProbe & { latencyMs: number | null } => {
    const p = d.data();
    return {
      key: d.id,
      type: p.type,
      result: p.result,
      startedMs: p.startedAt.toMillis(),
      reason: p.reason,
      latencyMs: p.latencyMs,
    };
  });
}

/** Prints the checks as a table (the exit code is `exitCodeFor`'s). */
export function printChecks(
  print: (line: string) => void,
  title: string,
  target: string,
  fromMs: number,
  toMs: number,
  checks: Check[],
): void {
  print(`${title}\n  ${target}\n  period ${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()}\n`);
  for (const c of checks) print(`  ${c.status.padEnd(12)} ${c.name}: ${c.detail}`);
}

/** What a command is given: its words and options, and where its lines go. */
export interface CommandIo {
  argv: string[];
  /** Its output (stdout on the command line). */
  print(line: string): void;
  /** Why it failed or refused (stderr). */
  warn(line: string): void;
}

/** An operator command: resolves to its exit code, or throws (see `exitCodeOf`). */
export type OpsCommand = (io: CommandIo) => Promise<number>;

/** Runs a command to its exit code: `--help` 0, a usage error 64 with the usage, any other failure 1. */
export async function exitCodeOf(command: OpsCommand, io: CommandIo): Promise<number> {
  try {
    return await command(io);
  } catch (err) {
    if (err instanceof HelpAsked) {
      io.print(err.message);
      return 0;
    }
    io.warn(err instanceof UsageError ? err.message : `failed: ${(err as Error).message}`);
    return err instanceof UsageError ? 64 : 1;
  }
}

/**
 * The command line around a command, when `entry` is the module node started (`npm run …`):
 * its arguments, the console, and its exit code as the process's. Imported, it does nothing.
 */
export function runCommand(command: OpsCommand, entry: NodeJS.Module): void {
  if (require.main !== entry) return;
  const io = { argv: process.argv.slice(2), print: console.log, warn: console.error };
  void exitCodeOf(command, io).then((code) => process.exit(code));
}
