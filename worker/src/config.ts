import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * The worker's whole configuration, read from the environment once at boot. Every variable
 * is documented in the README ("Worker configuration").
 */
const envSchema = z.object({
  GCLOUD_PROJECT: z.string({ error: "GCLOUD_PROJECT (or GOOGLE_CLOUD_PROJECT) is required" }).min(1),
  FIRESTORE_EMULATOR_HOST: z
    .string()
    .regex(/^[^\s/:]+:\d+$/, "must be host:port")
    .optional(),
  /** 0 picks a free port (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits, '.', '_' or '-', at most 100")
    .optional(),
  WA_TRANSPORT: z.enum(["baileys", "simulated"]).default("baileys"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_SEC: z.coerce.number().positive().max(300).default(8),
  COMMIT_HASH: z.string().default("unknown"),
  SERVICE_VERSION: z.string().default("0.1.0"),
});

export interface WorkerConfig {
  projectId: string;
  firestoreEmulatorHost: string | undefined;
  port: number;
  workerId: string;
  transport: "baileys" | "simulated";
  logLevel: string;
  shutdownTimeoutMs: number;
  commitHash: string;
  serviceVersion: string;
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
  return {
    projectId: e.GCLOUD_PROJECT,
    firestoreEmulatorHost: e.FIRESTORE_EMULATOR_HOST,
    port: e.PORT,
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
  };
}
