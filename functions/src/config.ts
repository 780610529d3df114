import { defineBoolean, defineInt, defineSecret, defineString } from "firebase-functions/params";

/** Every deploy-time parameter and secret of the functions, in one place. */

export const REGION = defineString("REGION", {
  default: "us-central1",
  description: "Region the functions run in (choose the one next to your Firestore database).",
});

export const APP_CHECK_ENFORCE = defineBoolean("APP_CHECK_ENFORCE", {
  default: false,
  description: "Reject callable requests without a valid App Check token. Keep false in the emulator.",
});

export const SEND_RATE_LIMIT_MAX = defineInt("SEND_RATE_LIMIT_MAX", {
  default: 30,
  description: "Messages one user may send per rate-limit window, across all instances.",
});

export const SEND_RATE_LIMIT_WINDOW_SEC = defineInt("SEND_RATE_LIMIT_WINDOW_SEC", {
  default: 60,
  description: "Length of the per-user rate-limit window, in seconds.",
});

export const CLAIM_RATE_LIMIT_MAX = defineInt("CLAIM_RATE_LIMIT_MAX", {
  default: 20,
  description: "Thread claims one user may attempt per claim window, refused ones included.",
});

export const CLAIM_RATE_LIMIT_WINDOW_SEC = defineInt("CLAIM_RATE_LIMIT_WINDOW_SEC", {
  default: 60,
  description: "Length of the per-user claim window, in seconds.",
});

export const TELEGRAM_BOT_TOKEN = defineSecret("TELEGRAM_BOT_TOKEN");

export const TELEGRAM_CHAT_ID = defineString("TELEGRAM_CHAT_ID", {
  default: "",
  description: "Chat (or group / channel) id the alerts go to. Empty: alerts off, incidents still recorded.",
});

export const TELEGRAM_API_ROOT = defineString("TELEGRAM_API_ROOT", {
  default: "https://api.telegram.org",
  description: "Bot API origin. Only tests and local runs change it (to a fake Bot API on 127.0.0.1).",
});

export const WORKER_SERVICE = defineString("WORKER_SERVICE", {
  default: "",
  description:
    "The worker's Cloud Run service (e.g. wa-worker) whose minimum instances longrunCapacity keeps at what the accounts need. Empty: the job only logs.",
});

export const WORKER_SERVICE_REGION = defineString("WORKER_SERVICE_REGION", {
  default: "us-central1",
  description: "Region of the worker's Cloud Run service.",
});

export const WORKER_MAX_INSTANCES = defineInt("WORKER_MAX_INSTANCES", {
  default: 3,
  description: "The most worker instances the capacity job asks for (the service's --max-instances).",
});

export const MAX_ACCOUNTS_PER_WORKER = defineInt("MAX_ACCOUNTS_PER_WORKER", {
  default: 200,
  description: "Sockets one worker holds: the same value as the worker's MAX_ACCOUNTS_PER_WORKER.",
});

export const CAPACITY_SPARE = defineInt("CAPACITY_SPARE", {
  default: 1,
  description: "Worker instances kept beyond what the accounts need, for the accounts of a worker that dies.",
});

export const CAPACITY_DRY_RUN = defineBoolean("CAPACITY_DRY_RUN", {
  default: false,
  description: "The capacity job says what it would set (capacity_dry_run) and changes nothing.",
});

export const CLOUD_RUN_API_ROOT = defineString("CLOUD_RUN_API_ROOT", {
  default: "https://run.googleapis.com",
  description: "Cloud Run Admin API origin. Only tests and local runs change it (to a fake on 127.0.0.1).",
});

export const WA_CLOUD_VERIFY_TOKEN = defineString("WA_CLOUD_VERIFY_TOKEN", {
  default: "",
  description:
    "The verify token you enter in Meta's webhook settings for whatsappCloudWebhook. Empty: no subscription is verified (Cloud API off).",
});

/** The app secret of the one Meta app whose numbers this gateway serves (`off`: the webhook refuses every POST). */
export const WA_CLOUD_APP_SECRET = defineSecret("WA_CLOUD_APP_SECRET");

export const MEDIA_BUCKET = defineString("MEDIA_BUCKET", {
  default: "",
  description:
    "The Cloud Storage bucket media bytes live in; the worker's MEDIA_BUCKET must name the same. Empty: {project}.firebasestorage.app.",
});

export const MEDIA_URL_TTL_SEC = defineInt("MEDIA_URL_TTL_SEC", {
  default: 300,
  description: "How long a signed media URL (download or upload) lives, in seconds.",
});
