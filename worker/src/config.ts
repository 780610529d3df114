import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  DEFAULT_RECONNECT_POLICY,
  optOutKeywords,
  parseKeywordList,
  type OptOutKeywords,
  type ReconnectPolicy,
} from "@wa-gateway/core/accounts";
import { DEFAULT_NEW_CONTACT_POLICY, parseNewContactPolicy, type NewContactPolicy } from "@wa-gateway/core/outbox";

/**
 * The worker's whole configuration, read from the environment once at boot. Every variable
 * is documented in docs/worker.md ("Worker configuration").
 */
/** An API's origin: https, or plain http on loopback only (a test's fake), because `why`. */
const httpsUnlessLoopback = (defaultUrl: string, why: string) =>
  z
    .url({ protocol: /^https?$/, error: "an http(s) URL" })
    .default(defaultUrl)
    .refine(
      (url) => url.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url),
      `must be https:// unless it is a loopback address: ${why}`,
    );

const envSchema = z.object({
  GCLOUD_PROJECT: z.string({ error: "GCLOUD_PROJECT (or GOOGLE_CLOUD_PROJECT) is required" }).min(1),
  FIRESTORE_EMULATOR_HOST: z
    .string()
    .regex(/^[^\s/:]+:\d+$/, "must be host:port")
    .optional(),
  /** 0 picks a free port (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z
    .string()
    .regex(/^[0-9a-fA-F.:]+$|^localhost$/, "an IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0")
    .optional(),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits, '.', '_' or '-', at most 100")
    .optional(),
  WA_TRANSPORT: z.enum(["baileys", "simulated"]).default("baileys"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_SEC: z.coerce.number().positive().max(300).default(8),
  /**
   * Sockets one worker holds. 200: `npm run bench -- baileys` measures 2.6 to 3.0 MiB RSS per idle
   * linked socket (restarted from its session, after GC) over a 165 MiB worker; 200 fill three quarters
   * of Cloud Run's 1 GiB and leave a quarter for bursts (docs/worker.md, "Memory").
   */
  MAX_ACCOUNTS_PER_WORKER: z.coerce.number().int().positive().max(1000).default(200),
  ACCOUNT_LEASE_SEC: z.coerce.number().int().min(5).max(600).default(30),
  OUTBOX_LEASE_SEC: z.coerce.number().int().min(5).max(600).default(60),
  OUTBOX_SWEEP_SEC: z.coerce.number().positive().max(600).default(15),
  OUTBOX_LISTENER: z.enum(["on", "off"]).default("on"),
  OUTBOX_SWEEP_PAGE: z.coerce.number().int().min(1).max(1000).default(500),
  INBOUND_BUFFER: z.coerce.number().int().min(1).max(100_000).default(5000),
  INBOUND_STUCK_SEC: z.coerce.number().positive().max(3600).default(60),
  DORMANT_SWEEP_SEC: z.coerce.number().positive().max(3600).default(60),
  LOGGED_OUT_HOLD_SEC: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
  SEND_MAX_ATTEMPTS: z.coerce.number().int().positive().max(50).default(5),
  SEND_RETRY_BASE_MS: z.coerce.number().int().positive().default(2000),
  SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  SEND_PACING: z.enum(["on", "off"]).default("on"),
  SEND_PACING_PER_MIN: z.coerce.number().positive().max(6000).default(20),
  SEND_PACING_BURST: z.coerce.number().int().positive().max(1000).default(3),
  SEND_PACING_JITTER_MS: z.coerce.number().int().nonnegative().max(60_000).default(800),
  /** First messages to new contacts, by account age: `fromDay:perHour/perDay,…` (core/outbox/reachout.ts), or off. */
  NEW_CONTACT_BUDGET: z
    .string()
    .optional()
    .transform((text, ctx): NewContactPolicy | null => {
      if (text === undefined || text === "") return DEFAULT_NEW_CONTACT_POLICY;
      if (text === "off") return null;
      try {
        return parseNewContactPolicy(text);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `${(err as Error).message}; or "off"` });
        return z.NEVER;
      }
    }),
  /** Baileys' own default is WhatsApp's edge; a test or `npm start` points it at the fake edge. */
  WA_WEBSOCKET_URL: z
    .url({ protocol: /^wss?$/, error: "a ws:// or wss:// URL" })
    .default("wss://web.whatsapp.com/ws/chat")
    .refine(
      (url) => url.startsWith("wss://") || /^ws:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(url),
      "must be wss:// unless it is a loopback address: Baileys does not check the edge's certificate chain, TLS is the only protection",
    ),
  /** Meta's Graph API for Cloud API accounts; https unless loopback (a test's fake). */
  WA_CLOUD_API_BASE_URL: httpsUnlessLoopback("https://graph.facebook.com", "the access token travels in it"),
  /** The Graph API version the Cloud API calls are pinned to (Meta retires each about two years on). */
  WA_CLOUD_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, "e.g. v23.0")
    .default("v23.0"),
  /** Where the Cloud API tokens are read (Secret Manager's REST API); a test points it at a fake on 127.0.0.1. */
  SECRET_MANAGER_API_ROOT: httpsUnlessLoopback(
    "https://secretmanager.googleapis.com",
    "the worker's access token travels in it",
  ),
  /** The WhatsApp Web version Baileys announces; pinned, because looking it up calls the network. */
  WA_VERSION: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, "major.minor.patch, e.g. 2.3000.1043857760")
    .default("2.3000.1043857760"),
  WA_BROWSER_NAME: z.string().min(1).max(40).default("WhatsApp Firebase Gateway"),
  /** QR codes shown per link attempt before the account waits for someone to ask again (needs_qr). */
  WA_QR_REFRESHES: z.coerce.number().int().min(1).max(20).default(5),
  /** How long each QR lives; unset: Baileys' 60 s for the first, 20 s for each next (a test shortens it). */
  WA_QR_TIMEOUT_MS: z.coerce.number().int().min(500).max(300_000).optional(),
  /** Closes per account per hour beyond which it cools down (the watchdog's reconnect_loop threshold). */
  WA_RECONNECTS_PER_HOUR: z.coerce.number().int().min(1).max(1000).default(5),
  WA_RECONNECT_COOLDOWN_SEC: z.coerce.number().int().min(1).max(86_400).default(900),
  WA_SIM_AUTO_LINK_MS: z.coerce.number().int().nonnegative().optional(),
  WA_SIM_RECORD_FILE: z.string().min(1).optional(),
  WA_SIM_INBOUND_EVERY_MS: z.coerce.number().int().positive().optional(),
  WA_SIM_INBOUND_RECORD_FILE: z.string().min(1).optional(),
  /**
   * A contact's whole message that is one of these (comma-separated; case, accents and surrounding
   * punctuation ignored) opts it out of, or back into, the account's messages. Unset or blank: the
   * defaults (core/src/accounts/optOut.ts, docs/api.md "Opt-out (STOP)"); set: replaces them.
   */
  OPT_OUT_KEYWORDS: z.string().optional(),
  OPT_IN_KEYWORDS: z.string().optional(),
  /** The bucket media bytes live in (default: the project's Firebase Storage bucket). */
  MEDIA_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, "a Cloud Storage bucket name")
    .optional(),
  /**
   * Media bytes in flight at once, worker-wide (downloads and sends wait for room): with Cloud
   * Run's 1 GiB, 128 MiB leaves the sockets their three quarters (docs/worker.md, "Memory").
   */
  MEDIA_BUDGET_MB: z.coerce.number().int().min(16).max(4096).default(128),
  /** Tries per inbound file before its message shows `failed`; the first retry waits MEDIA_RETRY_BASE_MS, doubling. */
  MEDIA_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  MEDIA_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  /** Cloud Storage's API on a loopback address (the Storage fake of tests and the local stack). */
  STORAGE_EMULATOR_HOST: httpsUnlessLoopback("https://storage.googleapis.com", "the worker's token travels in it")
    .optional()
    .transform((url) => (url === "https://storage.googleapis.com" ? undefined : url)),
  HEARTBEATS: z.enum(["on", "off"]).default("on"),
  HEARTBEAT_LOCK_LEASE_SEC: z.coerce.number().int().min(2).max(600).default(30),
  HEARTBEAT_LOCK_POLL_SEC: z.coerce.number().positive().max(300).default(10),
  COMMIT_HASH: z.string().default("unknown"),
  SERVICE_VERSION: z.string().default("0.1.0"),
});

export interface WorkerConfig {
  projectId: string;
  firestoreEmulatorHost: string | undefined;
  port: number;
  /** Where the HTTP server listens: every interface in production (Cloud Run), 127.0.0.1 on the emulator. */
  host: string | undefined;
  workerId: string;
  transport: "baileys" | "simulated";
  logLevel: string;
  shutdownTimeoutMs: number;
  commitHash: string;
  serviceVersion: string;
  maxAccounts: number;
  accountLeaseSec: number;
  outboxLeaseSec: number;
  outboxSweepMs: number;
  /** Entries one sweep reads per account, oldest first. */
  outboxSweepPage: number;
  outboxListener: boolean;
  /** Inbound messages held in memory before the sockets pause (backpressure). */
  inboundCapacity: number;
  /** Inbound stores failing this long mark the account (the watchdog's inbound_backlog incident). */
  inboundStuckAfterMs: number;
  /** How often removed and logged-out accounts are finished (session deleted, backlog failed). */
  dormantSweepMs: number;
  /** How long a logged-out account's queued messages wait for a re-link before they fail. */
  loggedOutHoldMs: number;
  retry: { maxAttempts: number; baseMs: number; maxMs: number };
  /** A send with no outcome past this is "maybe sent": a failed attempt, retried under the same id. */
  sendTimeoutMs: number;
  /** Backoff between reconnects, and the cool-down once an account closes too often in an hour. */
  reconnect: ReconnectPolicy;
  pacing: { perMinute: number; capacity: number; jitterMs: number } | null;
  /** The new-contact budget and its warm-up; null when NEW_CONTACT_BUDGET=off. */
  newContacts: NewContactPolicy | null;
  baileys: {
    websocketUrl: string;
    version: [number, number, number];
    browserName: string;
    qrRefreshes: number;
    qrTimeoutMs?: number;
  };
  /** Cloud API accounts: Meta's Graph API (pinned version) and where their tokens are read. */
  cloudApi: { baseUrl: string; version: string; secretManagerRoot: string };
  simulated: {
    autoLinkMs: number | null;
    recordFile: string | undefined;
    /** Each open socket receives a message from a contact this often (chaos suite). */
    inboundEveryMs: number | null;
    inboundRecordFile: string | undefined;
  };
  /** The long-run heartbeat writer; null when HEARTBEATS=off. */
  heartbeat: { leaseSec: number; pollSec: number } | null;
  /** Opt-out and opt-in keywords, normalised (OPT_OUT_KEYWORDS, OPT_IN_KEYWORDS). */
  optOutKeywords: OptOutKeywords;
  /** Inbound and outbound files: where they are stored, and the worker's budget of bytes in flight. */
  media: {
    bucket: string;
    apiEndpoint: string | undefined;
    budgetBytes: number;
    maxAttempts: number;
    retryBaseMs: number;
  };
}

/** A keyword list from the environment: blank or unset is the defaults. */
function keywordList(value: string | undefined, defaults: readonly string[]): readonly string[] {
  const list = value === undefined ? [] : parseKeywordList(value);
  return list.length > 0 ? list : defaults;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid worker environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function parseWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const parsed = envSchema.safeParse({
    ...env,
    GCLOUD_PROJECT: env.GCLOUD_PROJECT || env.GOOGLE_CLOUD_PROJECT,
  });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`));
  }
  const e = parsed.data;
  let keywords: OptOutKeywords;
  try {
    keywords = optOutKeywords(
      keywordList(e.OPT_OUT_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS),
      keywordList(e.OPT_IN_KEYWORDS, DEFAULT_OPT_IN_KEYWORDS),
    );
  } catch (err) {
    throw new ConfigError([`OPT_OUT_KEYWORDS / OPT_IN_KEYWORDS: ${(err as Error).message}`]);
  }
  return {
    projectId: e.GCLOUD_PROJECT,
    firestoreEmulatorHost: e.FIRESTORE_EMULATOR_HOST,
    port: e.PORT,
    host: e.HOST ?? (e.FIRESTORE_EMULATOR_HOST ? "127.0.0.1" : undefined),
    workerId:
      e.WORKER_ID ??
      `${hostname()
        .replace(/[^A-Za-z0-9._-]/g, "-")
        .slice(0, 60)}-${randomBytes(3).toString("hex")}`,
    transport: e.WA_TRANSPORT,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SEC * 1000,
    commitHash: e.COMMIT_HASH,
    serviceVersion: e.SERVICE_VERSION,
    maxAccounts: e.MAX_ACCOUNTS_PER_WORKER,
    accountLeaseSec: e.ACCOUNT_LEASE_SEC,
    outboxLeaseSec: e.OUTBOX_LEASE_SEC,
    outboxSweepMs: e.OUTBOX_SWEEP_SEC * 1000,
    outboxSweepPage: e.OUTBOX_SWEEP_PAGE,
    outboxListener: e.OUTBOX_LISTENER === "on",
    inboundCapacity: e.INBOUND_BUFFER,
    inboundStuckAfterMs: e.INBOUND_STUCK_SEC * 1000,
    dormantSweepMs: e.DORMANT_SWEEP_SEC * 1000,
    loggedOutHoldMs: e.LOGGED_OUT_HOLD_SEC * 1000,
    retry: { maxAttempts: e.SEND_MAX_ATTEMPTS, baseMs: e.SEND_RETRY_BASE_MS, maxMs: 5 * 60_000 },
    sendTimeoutMs: e.SEND_TIMEOUT_MS,
    reconnect: {
      ...DEFAULT_RECONNECT_POLICY,
      perHour: e.WA_RECONNECTS_PER_HOUR,
      cooldownMs: e.WA_RECONNECT_COOLDOWN_SEC * 1000,
    },
    pacing:
      e.SEND_PACING === "on"
        ? { perMinute: e.SEND_PACING_PER_MIN, capacity: e.SEND_PACING_BURST, jitterMs: e.SEND_PACING_JITTER_MS }
        : null,
    newContacts: e.NEW_CONTACT_BUDGET,
    baileys: {
      websocketUrl: e.WA_WEBSOCKET_URL,
      version: e.WA_VERSION.split(".").map(Number) as [number, number, number],
      browserName: e.WA_BROWSER_NAME,
      qrRefreshes: e.WA_QR_REFRESHES,
      ...(e.WA_QR_TIMEOUT_MS ? { qrTimeoutMs: e.WA_QR_TIMEOUT_MS } : {}),
    },
    cloudApi: {
      baseUrl: e.WA_CLOUD_API_BASE_URL,
      version: e.WA_CLOUD_API_VERSION,
      secretManagerRoot: e.SECRET_MANAGER_API_ROOT,
    },
    simulated: {
      autoLinkMs: e.WA_SIM_AUTO_LINK_MS ?? null,
      recordFile: e.WA_SIM_RECORD_FILE,
      inboundEveryMs: e.WA_SIM_INBOUND_EVERY_MS ?? null,
      inboundRecordFile: e.WA_SIM_INBOUND_RECORD_FILE,
    },
    heartbeat:
      e.HEARTBEATS === "on" ? { leaseSec: e.HEARTBEAT_LOCK_LEASE_SEC, pollSec: e.HEARTBEAT_LOCK_POLL_SEC } : null,
    optOutKeywords: keywords,
    media: {
      bucket: e.MEDIA_BUCKET ?? `${e.GCLOUD_PROJECT}.firebasestorage.app`,
      apiEndpoint: e.STORAGE_EMULATOR_HOST,
      budgetBytes: e.MEDIA_BUDGET_MB * 1024 * 1024,
      maxAttempts: e.MEDIA_MAX_ATTEMPTS,
      retryBaseMs: e.MEDIA_RETRY_BASE_MS,
    },
  };
}
