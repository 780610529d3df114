import { defineBoolean, defineInt, defineString } from "firebase-functions/params";

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
