import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startChild } from "../lib/children";
import { freePort, waitUntil } from "../lib/ports";
import { REPO_ROOT } from "../lib/project";

/**
 * firebase-tools' Auth and Functions emulators (no Java needed), pointed at the Firestore
 * emulator we run ourselves. Functions are served from functions/lib, so build first.
 */
export interface FirebaseEmulators {
  readonly authHost: string;
  readonly functionsHost: string;
  /** Base URL of a callable/HTTP function, e.g. `${functionsUrl}/whatsappProxySend`. */
  readonly functionsUrl: string;
  /** The last few KiB firebase-tools printed. */
  output(): string;
  /** Everything firebase-tools printed until the emulators were ready (what a boot says). */
  startupOutput(): string;
  stop(): Promise<void>;
}

/** The secrets the functions declare (functions/src/config.ts), and their local values. */
const LOCAL_SECRETS = {
  TELEGRAM_BOT_TOKEN: "off",
  WA_CLOUD_APP_SECRET: "local-cloud-app-secret",
} as const satisfies Record<string, string>;

/**
 * The Functions emulator takes a declared secret's value from functions/.secret.local, and asks
 * Google Secret Manager for any it does not find there (on every call). So the file gets a local
 * value for each declared secret it lacks; a developer's own values are kept. It is git-ignored
 * and never deployed (firebase.json's ignore list).
 */
const SECRETS_FILE = join(REPO_ROOT, "functions", ".secret.local");

function ensureLocalSecrets(): void {
  const file = SECRETS_FILE;
  const present = existsSync(file) ? readFileSync(file, "utf8") : "";
  const missing = Object.entries(LOCAL_SECRETS).filter(([key]) => !new RegExp(`^${key}=`, "m").test(present));
  if (missing.length === 0) return;
  if (!present) {
    writeFileSync(
      file,
      "# Local secret values for the Functions emulator (scripts/emulators/firebase.ts); never deployed.\n",
    );
  }
  appendFileSync(file, missing.map(([key, value]) => `${key}=${value}\n`).join(""));
}

/** The value the Functions emulator gives a declared secret: functions/.secret.local's (written if absent). */
export function localSecret(name: keyof typeof LOCAL_SECRETS): string {
  ensureLocalSecrets();
  const line = readFileSync(SECRETS_FILE, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}=`));
  return line!.slice(name.length + 1);
}

export interface FirebaseEmulatorPorts {
  auth: number;
  functions: number;
  hub: number;
  logging: number;
}

export async function startFirebaseEmulators(options: {
  projectId: string;
  firestoreHost: string;
  ports?: FirebaseEmulatorPorts;
  region?: string;
  env?: Record<string, string>;
  onOutput?: (line: string) => void;
}): Promise<FirebaseEmulators> {
  const ports = options.ports ?? {
    auth: await freePort(),
    functions: await freePort(),
    hub: await freePort(),
    logging: await freePort(),
  };
  // firebase-tools resolves the functions source against the config file's folder, so the
  // generated config (ports of this run) sits in the repo root, git-ignored, removed at stop.
  const config = join(REPO_ROOT, `.firebase-emulators-${process.pid}-${ports.functions}.json`);
  const removeConfig = () => rmSync(config, { force: true });
  const sidePorts = { eventarc: await freePort(), tasks: await freePort() };
  process.once("exit", removeConfig);
  writeFileSync(
    config,
    JSON.stringify({
      functions: [{ source: "functions", codebase: "default" }],
      emulators: {
        singleProjectMode: true,
        auth: { host: "127.0.0.1", port: ports.auth },
        functions: { host: "127.0.0.1", port: ports.functions },
        hub: { host: "127.0.0.1", port: ports.hub },
        logging: { host: "127.0.0.1", port: ports.logging },
        // Started beside the Functions emulator on fixed default ports (9299, 9499), probed then
        // bound: two boots at once (npm start beside a test shard's) could race for one and fail.
        eventarc: { host: "127.0.0.1", port: sidePorts.eventarc },
        tasks: { host: "127.0.0.1", port: sidePorts.tasks },
        ui: { enabled: false },
      },
    }),
  );
  ensureLocalSecrets();
  const firebaseBin = join(REPO_ROOT, "node_modules", ".bin", "firebase");
  let ready = false;
  let startup = "";
  const child = startChild(
    "firebase-emulators",
    firebaseBin,
    ["emulators:start", "--only", "auth,functions", "--project", options.projectId, "--config", config],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...options.env,
        FIRESTORE_EMULATOR_HOST: options.firestoreHost,
        GCLOUD_PROJECT: options.projectId,
        METADATA_SERVER_DETECTION: "none",
        NO_UPDATE_NOTIFIER: "1",
        // firebase-tools skips its message-of-the-day fetch (a call to the internet) under CI.
        CI: "1",
      },
      onOutput: (line) => {
        if (!ready) startup += `${line}\n`;
        if (line.includes("All emulators ready")) ready = true;
        options.onOutput?.(line);
      },
    },
  );
  try {
    await waitUntil("Auth and Functions emulators", async () => ready, {
      timeoutMs: 120_000,
      abort: () => {
        const exit = child.exited();
        return exit ? `firebase-tools exited (${exit.code ?? exit.signal}):\n${child.tail()}` : undefined;
      },
    });
  } catch (err) {
    await child.stop();
    removeConfig();
    throw err;
  }
  const functionsHost = `127.0.0.1:${ports.functions}`;
  return {
    authHost: `127.0.0.1:${ports.auth}`,
    functionsHost,
    functionsUrl: `http://${functionsHost}/${options.projectId}/${options.region ?? "us-central1"}`,
    output: () => child.tail(),
    startupOutput: () => startup,
    stop: async () => {
      await child.stop(10_000);
      removeConfig();
    },
  };
}
