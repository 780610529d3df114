import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { GrpcStatus } from "@wa-gateway/core";
import { DEFAULT_MONITORING_CONFIG } from "@wa-gateway/core/documents";
import { resolveMonitoringConfig, type ConfigResolution, type ConfigSource } from "@wa-gateway/core/longrun";
import { monitoringConfigDoc, watchdogMemory } from "@wa-gateway/data";

/**
 * `config/current` as the monitoring jobs read it, once per job run: created with the runbook's
 * defaults on the first run anywhere; an invalid edit falls back to the last good config the
 * watchdog kept in its own memory.
 */
export function firestoreConfigSource(db: Firestore, writer: string): ConfigSource {
  let config: Promise<ConfigResolution> | undefined;

  async function loadConfig(): Promise<ConfigResolution> {
    const ref = monitoringConfigDoc.ref(db);
    const snap = await ref.get();
    if (!snap.exists) {
      // First run anywhere: write the runbook's defaults for operators to edit.
      await ref
        .create({ ...DEFAULT_MONITORING_CONFIG, createdAt: FieldValue.serverTimestamp(), createdBy: writer })
        .catch((err: { code?: number }) => {
          if (err.code !== GrpcStatus.ALREADY_EXISTS) throw err;
        });
      return resolveMonitoringConfig(undefined, undefined);
    }
    const memory = (await watchdogMemory.doc(db).get()).data();
    return resolveMonitoringConfig(snap.data(), memory?.lastGoodConfig);
  }

  return { loadConfig: () => (config ??= loadConfig()) };
}
