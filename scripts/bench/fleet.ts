import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { runCapacity, type CapacityOutcome } from "@wa-gateway/core/longrun";
import { accounts, workers } from "@wa-gateway/data";
import { cloudRunScaling } from "../../functions/src/lib/cloudRunScaling";
import { liveAccountCount } from "../../functions/src/stores/capacityStore";
import { seedAccount, seedLinkedSession } from "../../test/support/fixtures";
import { FakeCloudRun } from "../../test/support/fakeCloudRun";
import { spawnWorker } from "../lib/workerProcess";
import { percentile } from "./countingFirestore";

/**
 * `npm run bench -- fleet`: 150 linked accounts on a local fleet of worker processes whose size
 * the capacity job sets through a fake Cloud Run Admin API, this bench playing Cloud Run: it keeps
 * as many workers running as the service's minimum instances, and replaces one that dies. Each
 * worker holds at most 50 (MAX_ACCOUNTS_PER_WORKER, set low so 150 needs a fleet), with the
 * default 30 s account lease and the simulated transport. It watches every account document twice
 * a second and reports how long accounts went without a worker through a scale-out, a planned
 * leave (SIGTERM), a crash (SIGKILL) and the joins that follow, against two leases (60 s).
 */

const ACCOUNTS = 150;
const PER_WORKER = 50;
const LEASE_SEC = 30;
const TWO_LEASES_MS = 2 * LEASE_SEC * 1000;
const SAMPLE_MS = 500;
/** How long a phase may take to spread evenly, and to have every account held at all. */
const EVEN_WITHIN_MS = 120_000;
const HELD_WITHIN_MS = 180_000;

/** Who holds each account now: a running worker with a live lease and a connected socket, or nobody. */
async function holders(db: Firestore, running: (workerId: string) => boolean): Promise<Map<string, string | null>> {
  const now = Date.now();
  const snap = await accounts.all(db).get();
  return new Map(
    snap.docs.map((d) => {
      const { owner, status } = d.data();
      const held =
        owner &&
        !owner.releasedAt &&
        owner.leaseUntil.toMillis() > now &&
        running(owner.workerId) &&
        status === "connected";
      return [d.id, held ? owner.workerId : null];
    }),
  );
}

/** One stretch an account had no worker: `moved` when a different worker took it after (a hand-over or takeover). */
interface Gap {
  ms: number;
  moved: boolean;
}

/** Watches the accounts and the workers: per account the stretches it had no worker, per worker when it joined. */
class FleetWatch {
  private unheldSince = new Map<string, number>();
  private last = new Map<string, string | null>();
  private gaps: Gap[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  /** When each worker's document first appeared (it announced itself: it has joined). */
  readonly joinedAt = new Map<string, number>();
  lastChangeAt = Date.now();

  constructor(
    private readonly db: Firestore,
    private readonly running: (workerId: string) => boolean,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample()).catch(() => undefined);
    }, SAMPLE_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  private async sample(): Promise<void> {
    const now = Date.now();
    for (const doc of (await workers.all(this.db).get()).docs)
      if (!this.joinedAt.has(doc.id)) this.joinedAt.set(doc.id, now);
    for (const [id, holder] of await holders(this.db, this.running)) {
      const before = this.last.get(id);
      if (holder === null && !this.unheldSince.has(id)) this.unheldSince.set(id, now);
      if (holder !== null && this.unheldSince.has(id)) {
        this.gaps.push({ ms: now - this.unheldSince.get(id)!, moved: !!before && holder !== before });
        this.unheldSince.delete(id);
      }
      if (holder !== null && holder !== before) this.lastChangeAt = now;
      if (holder !== null) this.last.set(id, holder);
    }
    if (this.unheldSince.size) this.lastChangeAt = now;
  }

  /** Starts a new phase: its gaps counted from here (and the open ones too, with `fromNow`). */
  mark(fromNow = false): void {
    this.gaps = [];
    if (fromNow) for (const id of this.unheldSince.keys()) this.unheldSince.set(id, Date.now());
  }

  get unheld(): number {
    return this.unheldSince.size;
  }

  /** Accounts per worker, most first (the last holder of an account now unheld still counts it). */
  spread(): number[] {
    const by = new Map<string, number>();
    for (const holder of this.last.values()) if (holder) by.set(holder, (by.get(holder) ?? 0) + 1);
    return [...by.values()].sort((a, b) => b - a);
  }

  phase(): Gap[] {
    return [...this.gaps].sort((a, b) => a.ms - b.ms);
  }
}

/** Cloud Run, for the bench: as many worker processes as the service's minimum instances. */
class LocalInstances {
  readonly running = new Map<string, ChildProcess>();
  private started = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly cloudRun: FakeCloudRun) {}

  start(): void {
    this.fill();
    this.timer = setInterval(() => this.fill(), 1000);
  }

  private fill(): void {
    while (this.running.size < this.cloudRun.service.scaling.minInstanceCount) {
      const workerId = `fleet-${++this.started}`;
      const child = spawnWorker(
        { host: process.env.FIRESTORE_EMULATOR_HOST!, projectId: process.env.GCLOUD_PROJECT! },
        workerId,
        {
          MAX_ACCOUNTS_PER_WORKER: String(PER_WORKER),
          ACCOUNT_LEASE_SEC: String(LEASE_SEC),
          HEARTBEATS: "off",
          OUTBOX_LISTENER: "off",
        },
      );
      this.running.set(workerId, child);
      child.once("exit", () => this.running.delete(workerId));
    }
  }

  /** One instance goes: SIGTERM (a planned stop) or SIGKILL (a crash). Cloud Run starts another. */
  async stopOne(signal: "SIGTERM" | "SIGKILL"): Promise<string> {
    const [workerId, child] = [...this.running.entries()][0]!;
    child.kill(signal);
    await once(child, "exit");
    return workerId;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(
      [...this.running.values()].map(async (child) => {
        child.kill("SIGKILL");
        if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
      }),
    );
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const spreadOf = (ms: number[]) =>
  ms.length ? `p50 ${seconds(percentile(ms, 0.5))}, max ${seconds(ms.at(-1)!)}` : "none";

/** A phase's line, and the longest any account went without a worker in it. */
function describePhase(
  name: string,
  watch: FleetWatch,
  { tookMs, even }: { tookMs: number; even: boolean },
  joinedMs: number,
): { line: string; worstMs: number } {
  const gaps = watch.phase();
  const handOvers = gaps.filter((g) => g.moved).map((g) => g.ms);
  const line =
    `  ${name}: the new worker joined after ${seconds(joinedMs)}, settled after ${seconds(tookMs)}; ` +
    `${gaps.length} accounts went without a worker (${spreadOf(gaps.map((g) => g.ms))}), ` +
    `${handOvers.length} of them moved to another worker (hand-over ${spreadOf(handOvers)}); spread ${watch.spread().join("/")}${even ? "" : ` (still uneven after ${seconds(EVEN_WITHIN_MS)})`}`;
  return { line, worstMs: gaps.at(-1)?.ms ?? 0 };
}

/**
 * Waits until the fleet has settled: every account held, by as many workers as Cloud Run runs
 * (a replacement has joined and taken its share), spread evenly (within 2; an account moves at
 * most once in 10 minutes, so after EVEN_WITHIN_MS it may stay uneven), nothing changed for 3 s.
 */
async function settled(
  watch: FleetWatch,
  workerCount: () => number,
  what: string,
  started: number,
): Promise<{ tookMs: number; even: boolean }> {
  for (;;) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const quiet = Date.now() - watch.lastChangeAt >= 3000;
    const spread = watch.spread();
    const even = spread[0]! - spread.at(-1)! <= 2;
    const held = watch.unheld === 0 && spread.length === workerCount();
    if (held && quiet && (even || Date.now() - started > EVEN_WITHIN_MS))
      return { tookMs: watch.lastChangeAt - started, even };
    if (Date.now() - started > HELD_WITHIN_MS)
      throw new Error(
        `bench fleet: ${what} did not settle in ${HELD_WITHIN_MS / 1000} s (${watch.unheld} unheld, spread ${spread.join("/")})`,
      );
  }
}

export async function benchFleet(): Promise<void> {
  const projectId = process.env.GCLOUD_PROJECT!;
  const db = getFirestore(initializeApp({ projectId }, "bench-fleet"));
  await fetch(
    `http://${process.env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
    { method: "DELETE" },
  );
  const cloudRun = await FakeCloudRun.start(projectId, "europe-west1", "wa-worker");
  const instances = new LocalInstances(cloudRun);
  const watch = new FleetWatch(db, (workerId) => instances.running.has(workerId));
  const capacity = (): Promise<CapacityOutcome> =>
    runCapacity({
      liveAccounts: () => liveAccountCount(db),
      scaling: cloudRunScaling({
        apiRoot: cloudRun.apiRoot,
        project: projectId,
        region: "europe-west1",
        service: "wa-worker",
      }),
      policy: { accountsPerWorker: PER_WORKER, spare: 1, maxInstances: 5 },
      dryRun: false,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  const lines: string[] = [];
  let worst = 0;
  /** Until a worker not seen before has joined: ms since `since`. */
  const joined = async (since: number, known: Set<string>) => {
    while (![...watch.joinedAt.keys()].some((id) => !known.has(id))) {
      if (Date.now() - since > 120_000) throw new Error("bench fleet: no new worker joined in 2 min");
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
    return [...watch.joinedAt].filter(([id]) => !known.has(id)).map(([, at]) => at - since)[0]!;
  };
  /** A worker joins or leaves, with `act`; counted from the leave, or from the join (`fromJoin`). */
  const phase = async (name: string, act: () => Promise<unknown>, fromJoin = false) => {
    const known = new Set(watch.joinedAt.keys());
    const started = Date.now();
    watch.mark();
    await act();
    const joinedMs = await joined(started, known);
    if (fromJoin) watch.mark(true);
    const workerCount = () => cloudRun.service.scaling.minInstanceCount;
    const { line, worstMs } = describePhase(name, watch, await settled(watch, workerCount, name, started), joinedMs);
    lines.push(line);
    worst = Math.max(worst, worstMs);
  };
  try {
    for (let i = 0; i < ACCOUNTS; i++) {
      const id = `fleet-acc-${String(i).padStart(3, "0")}`;
      await seedAccount(db, id, { status: "disconnected" });
      await seedLinkedSession(db, id, `4917${String(i).padStart(8, "0")}@s.whatsapp.net`);
    }
    instances.start();
    watch.start();
    // One instance (the service's minimum before the job ran) takes what it can: 50 of 150.
    const firstStarted = Date.now();
    while (watch.spread()[0] !== PER_WORKER) {
      if (Date.now() - firstStarted > 120_000) throw new Error("bench fleet: the first worker did not fill up");
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
    lines.push(`  one worker, before the capacity job: ${watch.spread().join("/")} held, ${watch.unheld} unheld`);
    let outcome: CapacityOutcome | undefined;
    // Counted from the first join: before the job, the 100 waiting accounts are the watchdog's accounts_unheld.
    await phase(
      "scale-out (the capacity job runs, Cloud Run starts instances)",
      async () => (outcome = await capacity()),
      true,
    );
    lines.splice(1, 0, `  capacity job: ${JSON.stringify(outcome)}; revisions created: ${cloudRun.revisions - 1}`);
    await phase("planned leave (SIGTERM), then its replacement joins", () => instances.stopOne("SIGTERM"));
    await phase("crash (SIGKILL), then its replacement joins", () => instances.stopOne("SIGKILL"));
    console.log(
      `\nfleet: ${ACCOUNTS} accounts, workers of ${PER_WORKER} (simulated transport, ${LEASE_SEC} s account lease), capacity job against a fake Cloud Run Admin API\n` +
        `${lines.join("\n")}\n` +
        `  longest an account went without a worker after a worker joined or left: ${seconds(worst)} ` +
        `(${worst <= TWO_LEASES_MS ? "within" : "OVER"} two leases, ${seconds(TWO_LEASES_MS)})`,
    );
  } finally {
    await watch.stop();
    await instances.close();
    await cloudRun.close();
  }
}
