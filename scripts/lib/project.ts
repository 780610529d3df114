import { readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");

/** The local project id: `.firebaserc`'s default, always a `demo-` project so no SDK reaches a real one. */
export function localProjectId(): string {
  const rc = JSON.parse(readFileSync(join(REPO_ROOT, ".firebaserc"), "utf8")) as { projects?: { default?: string } };
  const id = rc.projects?.default;
  if (!id?.startsWith("demo-"))
    throw new Error(`.firebaserc's default project must be a demo- project for local use, not ${id}`);
  return id;
}

/** Environment every local process shares: offline, pointed at the emulators, one project. */
export function localEnv(projectId: string, firestoreHost: string): Record<string, string> {
  return {
    GCLOUD_PROJECT: projectId,
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_EMULATOR_HOST: firestoreHost,
    METADATA_SERVER_DETECTION: "none",
  };
}

/** Where the local stack listens. */
export interface LocalStackPorts {
  firestore: number;
  auth: number;
  functions: number;
  worker: number;
}

/**
 * The local stack's ports: firebase.json's emulator ports and 8080 for the worker, each replaced
 * by its environment variable when set (FIRESTORE_PORT, AUTH_PORT, FUNCTIONS_PORT, WORKER_PORT),
 * so a second stack (or the test that boots one) can run beside the first. `npm start` and
 * `npm run demo` both read them here, so the demo finds a stack started with the same variables.
 */
export function localStackPorts(env: NodeJS.ProcessEnv = process.env): LocalStackPorts {
  const config = JSON.parse(readFileSync(join(REPO_ROOT, "firebase.json"), "utf8")) as {
    emulators: Record<string, { port: number }>;
  };
  const port = (variable: string, fallback: number | undefined): number => {
    const raw = env[variable];
    if (raw === undefined || raw === "") {
      if (fallback === undefined) throw new Error(`firebase.json names no port for ${variable}`);
      return fallback;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      throw new Error(`${variable}=${raw} is not a port (an integer from 1 to 65535)`);
    return value;
  };
  return {
    firestore: port("FIRESTORE_PORT", config.emulators.firestore?.port),
    auth: port("AUTH_PORT", config.emulators.auth?.port),
    functions: port("FUNCTIONS_PORT", config.emulators.functions?.port),
    worker: port("WORKER_PORT", 8080),
  };
}

/**
 * The local stack's one Cloud API number, served by a fake Graph API and Secret Manager on
 * 127.0.0.1 (scripts/lib/localCloudApi.ts); `npm run demo` adds an account for it.
 */
export function localCloudApiNumber() {
  return {
    phoneNumberId: "100000000000001",
    businessAccountId: "100000000000002",
    tokenSecret: `projects/${localProjectId()}/secrets/wa-token-demo/versions/latest`,
  };
}
