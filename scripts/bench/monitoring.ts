import { Writable } from "node:stream";
import { initializeApp } from "firebase-admin/app";
import { getFirestore, Timestamp, type Firestore } from "firebase-admin/firestore";
import { heartbeatBucketId, paths, rollupDate } from "@wa-gateway/core";
import { DEFAULT_MONITORING_CONFIG } from "@wa-gateway/core/documents";
import { runRollup, runWatchdog, scheduledProbes, startProbes, type JobLog } from "@wa-gateway/core/longrun";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { firestoreProbeStore } from "../../functions/src/stores/probeStore";
import { firestoreRollupStore } from "../../functions/src/stores/rollupStore";
import { telegramChannel } from "../../functions/src/lib/telegram";
import { createLogger } from "../../worker/src/logging/logger";
import { heartbeatLock } from "../../worker/src/longrun/heartbeatLock";
import { HEARTBEAT_LOCK, startHeartbeats } from "../../worker/src/longrun/heartbeats";
import { heartbeatStore } from "../../worker/src/longrun/heartbeatStore";
import { startFakeTelegram } from "../lib/fakeTelegram";
import { spawnWorker } from "../lib/workerProcess";
import {
  accountIdAt,
  disconnectedAt,
  monitoringStores,
  seedHealthySystem,
  watchdogDeps,
} from "../lib/watchdogFixtures";
import { countingFirestore, type OpCounts } from "./countingFirestore";
import { accounts, heartbeats, heartbeatState, monitoringConfigDoc, watchdogMemory } from "@wa-gateway/data";

/**
 * What the long-run monitoring costs and how fast it notices: Firestore operations per day at
 * the default settings (each component measured through a counting client, then multiplied by
 * its daily rate), and detection latency from the last heartbeat to the Telegram alert.
 */

const DAY_SEC = 86_400;
const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
let apps = 0;
const newDb = () =>
  getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT }, `bench-monitoring-${++apps}`));

async function reset(): Promise<void> {
  await fetch(
    `http://${process.env.FIRESTORE_EMULATOR_HOST}/emulator/v1/projects/${process.env.GCLOUD_PROJECT}/databases/(default)/documents`,
    { method: "DELETE" },
  );
}

const per = (counts: OpCounts, n: number) => ({ reads: counts.reads / n, writes: counts.writes / n });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lockCosts() {
  const holder = countingFirestore(newDb());
  const lock = heartbeatLock(holder.db, "bench-lock", "holder", 30);
  await lock.tick();
  holder.reset();
  for (let i = 0; i < 50; i++) await lock.tick();
  const renew = per(holder.counts, 50);
  const standby = countingFirestore(newDb());
  const other = heartbeatLock(standby.db, "bench-lock", "standby", 30);
  for (let i = 0; i < 50; i++) await other.tick();
  return { renew, standbyPoll: per(standby.counts, 50) };
}

async function beatCosts() {
  const counted = countingFirestore(newDb());
  await monitoringConfigDoc.ref(counted.db).set({ heartbeatIntervalSec: 5 });
  const beats = startHeartbeats({
    store: heartbeatStore(counted.db),
    lock: heartbeatLock(counted.db, HEARTBEAT_LOCK, "bench-beat", 600),
    instanceId: "bench-beat",
    logger: createLogger({ level: "silent", workerId: "bench" }, new Writable({ write: (_c, _e, d) => d() })),
    commitHash: "bench",
    serviceVersion: "bench",
    startedAt: new Date(),
    connectedCount: () => 1,
    pollSec: 300, // no renewals in the window: only beats are counted
  });
  await sleep(3000);
  const before = (await heartbeats.all(counted.db).count().get()).data().count;
  counted.reset();
  await sleep(30_000);
  const measured = { ...counted.counts };
  const after = (await heartbeats.all(counted.db).count().get()).data().count;
  await beats.stop();
  return { ...per(measured, after - before), beats: after - before };
}

/** One watchdog run's reads, writes and own document size with `n` healthy accounts (one looping). */
async function watchdogAtScale(n: number) {
  await reset();
  const counted = countingFirestore(newDb());
  const now = Date.now();
  await seedHealthySystem(counted.db, n, now);
  await disconnectedAt(
    counted.db,
    accountIdAt(0),
    [9, 7, 5, 4, 3, 2, 1].map((m) => now - m * 60_000),
  );
  await runWatchdog(watchdogDeps(counted.db), now - 60_000, now - 60_000);
  counted.reset();
  const runs = 5;
  for (let i = 0; i < runs; i++) await runWatchdog(watchdogDeps(counted.db), now + i * 60_000, now + i * 60_000);
  const doc = (await watchdogMemory.doc(counted.db).get()).data();
  return { ...per(counted.counts, runs), stateBytes: Buffer.byteLength(JSON.stringify(doc)) };
}

async function watchdogCosts() {
  const counted = countingFirestore(newDb());
  const db = counted.db;
  const now = Date.now();
  await monitoringConfigDoc.ref(db).set(DEFAULT_MONITORING_CONFIG);
  await heartbeatState.doc(db).set({
    lastHeartbeatAt: Timestamp.fromMillis(now - 10_000),
    lastHeartbeatInstanceId: "w",
    streakStartedAt: Timestamp.fromMillis(now - DAY_SEC * 1000),
    firstHeartbeatAt: Timestamp.fromMillis(now - DAY_SEC * 1000),
  });
  await accounts.write(db, "main").set({
    ...newAccountDocument({ createdBy: "bench", now: new Date(), status: "connected", memberUids: [] }),
    owner: { workerId: "w", epoch: 1, leaseUntil: Timestamp.fromMillis(now + 3_600_000) },
  });
  const alerts = telegramChannel({ token: "", chatId: "", apiRoot: "http://127.0.0.1:9", log: quiet });
  const deps = () => ({
    ...monitoringStores(db, "bench"),
    probes: firestoreProbeStore(db, "bench"),
    alerts,
    log: quiet,
    project: "bench",
  });
  await runWatchdog(deps(), now - 120_000, now);
  counted.reset();
  const runs = 20;
  for (let i = 0; i < runs; i++) await runWatchdog(deps(), now + i * 60_000, now);
  const watchdog = per(counted.counts, runs);

  counted.reset();
  await startProbes(deps(), scheduledProbes(new Date("2025-12-30T00:00:00Z")), now);
  const probeDay = { ...counted.counts };

  // A full day of beats for the rollup to read.
  const day = Date.parse("2025-12-30T00:00:00Z");
  for (let chunk = 0; chunk < 1440; chunk += 400) {
    const batch = db.batch();
    for (let m = chunk; m < Math.min(1440, chunk + 400); m++) {
      const ms = day + m * 60_000;
      const id = heartbeatBucketId(new Date(ms), 60);
      batch.set(db.doc(paths.longrun.heartbeat(id)), {
        serverTs: Timestamp.fromMillis(ms + 100),
        instanceId: "w",
        lockEpoch: 1,
        afterPlannedStop: false,
      });
    }
    await batch.commit();
  }
  counted.reset();
  await runRollup(
    { ...deps(), rollups: firestoreRollupStore(db, "bench") },
    rollupDate(new Date(day)),
    day + DAY_SEC * 1000 + 300_000,
    "bench",
  );
  return { watchdog, probeDay, rollup: { ...counted.counts } };
}

/** Heartbeats every 5 s and the watchdog every 5 s: the default 60 s / 60 s scaled down 12×. */
async function detectionLatency(trials: number): Promise<number[]> {
  const SCALE = 12;
  const interval = 60 / SCALE;
  const token = "200000002:BENCH-fake-token-abcdefghijklmnopqrstuvw";
  const telegram = await startFakeTelegram({ token });
  const db: Firestore = newDb();
  const latencies: number[] = [];
  try {
    for (let t = 0; t < trials; t++) {
      await reset();
      await monitoringConfigDoc.ref(db).set({ heartbeatIntervalSec: interval, expectedAccounts: 0 });
      const worker = spawnWorker(
        { host: process.env.FIRESTORE_EMULATOR_HOST!, projectId: process.env.GCLOUD_PROJECT! },
        `bench-detect-${t}`,
        { HEARTBEAT_LOCK_LEASE_SEC: "3", HEARTBEAT_LOCK_POLL_SEC: "1" },
      );
      for (;;) {
        if ((await heartbeats.all(db).count().get()).data().count >= 2) break;
        await sleep(200);
      }
      worker.kill("SIGKILL");
      await new Promise((r) => worker.once("exit", r));
      const last = (await heartbeatState.doc(db).get()).data()!.lastHeartbeatAt!.toMillis();
      const alerts = telegramChannel({ token, chatId: "-1", apiRoot: telegram.apiRoot, log: quiet });
      const seen = telegram.messages.length;
      // Fire the watchdog on a 5 s "cron", as Cloud Scheduler fires it on a minute one.
      while (telegram.messages.length === seen) {
        const next = Math.ceil(Date.now() / (interval * 1000)) * interval * 1000;
        await sleep(next - Date.now());
        await runWatchdog(
          {
            ...monitoringStores(db, "bench"),
            probes: firestoreProbeStore(db, "bench"),
            alerts,
            log: quiet,
            project: "bench",
          },
          next,
          Date.now(),
        );
      }
      latencies.push((telegram.messages[telegram.messages.length - 1]!.at - last) / 1000);
    }
  } finally {
    await telegram.stop();
  }
  return latencies.map((l) => l * SCALE);
}

export async function benchMonitoring(): Promise<void> {
  console.log("\nmonitoring");
  await reset();
  const lock = await lockCosts();
  const beat = await beatCosts();
  await reset();
  const jobs = await watchdogCosts();

  const daily = {
    "heartbeat writes (1 per 60 s)": { reads: beat.reads * 1440, writes: beat.writes * 1440 },
    "lock renewals (every 10 s)": { reads: lock.renew.reads * 8640, writes: lock.renew.writes * 8640 },
    "watchdog (every minute)": { reads: jobs.watchdog.reads * 1440, writes: jobs.watchdog.writes * 1440 },
    "probes (4 slots, unconfigured)": { reads: jobs.probeDay.reads * 4, writes: jobs.probeDay.writes * 4 },
    "daily rollup": jobs.rollup,
  };
  console.log(
    `  per operation: beat ${beat.reads.toFixed(2)} reads + ${beat.writes.toFixed(2)} writes (${beat.beats} beats measured);`,
  );
  console.log(
    `  lock renewal ${lock.renew.reads} r + ${lock.renew.writes} w; standby poll ${lock.standbyPoll.reads} r + ${lock.standbyPoll.writes} w; ` +
      `watchdog run ${jobs.watchdog.reads} r + ${jobs.watchdog.writes} w (steady state, 1 account, nothing open)`,
  );
  console.log("  Firestore operations per day at the default settings (one worker holding the lock):");
  let reads = 0;
  let writes = 0;
  for (const [what, c] of Object.entries(daily)) {
    console.log(
      `    ${what.padEnd(34)} ${String(Math.round(c.reads)).padStart(7)} reads ${String(Math.round(c.writes)).padStart(7)} writes`,
    );
    reads += c.reads;
    writes += c.writes;
  }
  console.log(
    `    ${"total".padEnd(34)} ${String(Math.round(reads)).padStart(7)} reads ${String(Math.round(writes)).padStart(7)} writes`,
  );
  console.log(
    `    each standby worker adds ${Math.round(lock.standbyPoll.reads * 8640)} reads; TTL removes ~1440 heartbeats a day once 90 days are kept`,
  );

  console.log("  watchdog run at scale (healthy accounts, one in a reconnect loop, steady state):");
  for (const n of [10, 100, 1000]) {
    const c = await watchdogAtScale(n);
    console.log(
      `    ${String(n).padStart(5)} accounts: ${c.reads.toFixed(1)} reads + ${c.writes.toFixed(1)} writes a run; state/watchdog ${c.stateBytes} bytes`,
    );
  }

  const trials = Number(process.env.BENCH_DETECTION_TRIALS ?? 3);
  const latencies = await detectionLatency(trials);
  console.log(
    `  detection latency, last heartbeat → Telegram alert delivered (run 12× faster, figures scaled back to 60 s beats and a 60 s watchdog):`,
  );
  console.log(
    `    ${latencies.map((l) => `${l.toFixed(0)} s`).join(", ")}; bound: 110 s of silence + 1 watchdog period = 170 s (the runbook's hourly check: up to 60 min)`,
  );
}
