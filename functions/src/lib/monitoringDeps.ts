import { TELEGRAM_API_ROOT, TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID } from "../config";
import { firestore } from "./firestore";
import { jobLog } from "./jobLog";
import { telegramChannel } from "./telegram";
import { firestoreDeliveryReads } from "../stores/deliveryReadsStore";
import { firestoreIncidentStore } from "../stores/incidentStore";
import { firestoreConfigSource } from "../stores/monitoringConfigStore";
import { firestoreProbeStore } from "../stores/probeStore";
import { firestoreRollupStore } from "../stores/rollupStore";
import { firestoreWatchdogReads } from "../stores/watchdogReadsStore";

function secretValue(): string {
  try {
    return TELEGRAM_BOT_TOKEN.value() ?? "";
  } catch {
    return "";
  }
}

/** Everything a monitoring job needs, built fresh for each run. */
export function monitoringDeps(writer: string) {
  const db = firestore();
  return {
    config: firestoreConfigSource(db, writer),
    reads: firestoreWatchdogReads(db),
    incidents: firestoreIncidentStore(db, writer),
    deliveries: firestoreDeliveryReads(db),
    probes: firestoreProbeStore(db, writer),
    rollups: firestoreRollupStore(db, writer),
    alerts: telegramChannel({
      token: secretValue(),
      chatId: TELEGRAM_CHAT_ID.value(),
      apiRoot: TELEGRAM_API_ROOT.value(),
      log: jobLog,
    }),
    log: jobLog,
    project: process.env.GCLOUD_PROJECT ?? "unknown",
  };
}
