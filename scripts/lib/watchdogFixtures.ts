import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { DEFAULT_MONITORING_CONFIG, type AccountStatus } from "@wa-gateway/core/documents";
import { type AlertChannel, type JobLog } from "@wa-gateway/core/longrun";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts, heartbeatState, monitoringConfigDoc } from "@wa-gateway/data";
import { firestoreDeliveryReads } from "../../functions/src/stores/deliveryReadsStore";
import { firestoreIncidentStore } from "../../functions/src/stores/incidentStore";
import { firestoreConfigSource } from "../../functions/src/stores/monitoringConfigStore";
import { firestoreProbeStore } from "../../functions/src/stores/probeStore";
import { firestoreWatchdogReads } from "../../functions/src/stores/watchdogReadsStore";

/** What the watchdog at scale is measured and tested on: fresh heartbeats and `count` healthy accounts. */

const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The monitoring stores on `db`, one per port, as functions/src/lib/monitoringDeps builds them. */
export function monitoringStores(db: Firestore, writer: string) {
  return {
    config: firestoreConfigSource(db, writer),
    reads: firestoreWatchdogReads(db),
    incidents: firestoreIncidentStore(db, writer),
    deliveries: firestoreDeliveryReads(db),
  };
}

/** The watchdog's dependencies on `db`, Telegram off. */
export function watchdogDeps(db: Firestore) {
  return {
    ...monitoringStores(db, "watchdog-fixture"),
    probes: firestoreProbeStore(db, "watchdog-fixture"),
    alerts: { enabled: false, send: async () => ({ delivered: 0, error: "alerts off" }) } satisfies AlertChannel,
    log: quiet,
    project: "watchdog-fixture",
  };
}

export const accountIdAt = (i: number) => `acc-${String(i).padStart(4, "0")}`;

/** Heartbeats up to date, the default config, and `count` connected accounts under live leases. */
export async function seedHealthySystem(db: Firestore, count: number, nowMs: number): Promise<void> {
  await monitoringConfigDoc.ref(db).set(DEFAULT_MONITORING_CONFIG);
  await heartbeatState.doc(db).set({
    lastHeartbeatAt: Timestamp.fromMillis(nowMs - 10_000),
    lastHeartbeatInstanceId: "w",
    streakStartedAt: Timestamp.fromMillis(nowMs - 86_400_000),
    firstHeartbeatAt: Timestamp.fromMillis(nowMs - 86_400_000),
  });
  for (let start = 0; start < count; start += 500) {
    const batch = db.batch();
    for (let i = start; i < Math.min(count, start + 500); i++) {
      batch.set(accounts.write(db, accountIdAt(i)), {
        ...newAccountDocument({ createdBy: "fixture", now: new Date(nowMs), status: "connected" }),
        owner: { workerId: "w", epoch: 1, leaseUntil: Timestamp.fromMillis(nowMs + 3_600_000) },
      });
    }
    await batch.commit();
  }
}

/** The account closed its socket at each of these times (as the worker records it). */
export async function disconnectedAt(
  db: Firestore,
  accountId: string,
  times: number[],
  status: AccountStatus = "connecting",
) {
  await accounts.doc(db, accountId).update({
    status,
    reconnectCount: times.length,
    lastDisconnect: { code: 428, at: Timestamp.fromMillis(Math.max(...times)) },
    recentDisconnects: times.map((t) => Timestamp.fromMillis(t)),
  });
}
