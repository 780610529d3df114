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
