import { onSchedule } from "firebase-functions/scheduler";
import { runCapacity } from "@wa-gateway/core/longrun";
import {
  CAPACITY_DRY_RUN,
  CAPACITY_SPARE,
  CLOUD_RUN_API_ROOT,
  MAX_ACCOUNTS_PER_WORKER,
  WORKER_MAX_INSTANCES,
  WORKER_SERVICE,
  WORKER_SERVICE_REGION,
} from "./config";
import { cloudRunScaling } from "./lib/cloudRunScaling";
import { firestore } from "./lib/firestore";
import { jobLog } from "./lib/jobLog";
import { liveAccountCount } from "./stores/capacityStore";

/** Every 5 minutes: the worker service's minimum instances follow the accounts that need a socket. */
export const longrunCapacity = onSchedule(
  { schedule: "*/5 * * * *", timeZone: "Etc/UTC", retryCount: 0, timeoutSeconds: 60 },
  async () => {
    const db = firestore();
    const service = WORKER_SERVICE.value();
    if (!service) {
      jobLog.info("capacity_off", { liveAccounts: await liveAccountCount(db), why: "WORKER_SERVICE is empty" });
      return;
    }
    await runCapacity({
      liveAccounts: () => liveAccountCount(db),
      scaling: cloudRunScaling({
        apiRoot: CLOUD_RUN_API_ROOT.value(),
        project: process.env.GCLOUD_PROJECT ?? "",
        region: WORKER_SERVICE_REGION.value(),
        service,
      }),
      policy: {
        accountsPerWorker: MAX_ACCOUNTS_PER_WORKER.value(),
        spare: CAPACITY_SPARE.value(),
        maxInstances: WORKER_MAX_INSTANCES.value(),
      },
      dryRun: CAPACITY_DRY_RUN.value(),
      log: jobLog,
    });
  },
);
